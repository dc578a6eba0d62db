"""The city's side: shipping a centre's events to the city's PostgreSQL, and the city's dashboard.

Shipping (owned here): `extract` (what may leave a centre), `ship` (one pass, batches, restore checks),
`shipper_task` (the background task of `kiosk serve`); the city database: `schema` (its migrations) and
`db` (connect, migrate). The dashboard lives in kiosk/city/dashboard and kiosk/city/app.py.
"""
