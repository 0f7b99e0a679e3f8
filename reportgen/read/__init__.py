"""Reading prediction files into a validated table: in memory, streamed or with Spark.

The entry point is `predictions.read_predictions(data, ReadOptions) -> ReadResult`
(result.py); it picks `in_memory.read_in_memory` or `stream.for_report.read_for_report`.

One file, whole: load.py (LoadOptions, load_predictions) finds the columns (columns.py),
reads the bytes (readers.py for CSV/TSV/Parquet, jsonl.py; scan.py and textin.py bound and
decode them first), then checks and codes the table (validate.py, with nested_cells.py,
proba_columns.py and plain_numbers.py) into a PredictionTable (table.py). steps.py picks the
rows of one step; tags.py and sheet_text.py read tag sheets; images.py reads thumbnails.

Object detection: detection.py (read_detection, detection_format) reads COCO, YOLO and VOC
files (detection_coco.py, detection_yolo.py, detection_voc.py, detection_checks.py) into
boxes; detection_result.py makes the evaluated images the table of a ReadResult.
Measured pictures (issue 17, not yet in a report): image_measure.py measures every picture
once, image_cache.py keeps the measures between runs.
"""
