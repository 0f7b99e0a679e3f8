"""Reading prediction files into a validated table: in memory, streamed or with Spark."""
