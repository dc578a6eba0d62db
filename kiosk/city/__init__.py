"""The city's side: centres ship their events to one PostgreSQL; the city's dashboard and reports read it."""
