"""Reports for managers over any range of days (docs/reports.md).

cells.py      the counts and sums of a rollup cell, and the ROW read from them
replay.py     one day's tickets replayed from their events into one fact per ticket
histogram.py  the fixed-bucket wait histogram (p90 within a documented bound)
rollups.py    past days rolled up once into `report_rollups`, today replayed live
query.py      parameters, grouping, labels: the report
monthly.py    the monthly summary a centre reports upward
export.py     CSV and XLSX downloads
"""
