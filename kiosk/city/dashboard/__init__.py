"""The city's dashboard: logins of city managers, the centres' live table, city reports (JSON, CSV, XLSX)."""
