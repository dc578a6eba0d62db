"""The ESC/POS ticket printer: ticket rendering, printing, status queries and a simulator.

Modules: ``ticket_data`` (TicketData), ``ticket_image`` (render_ticket), ``status`` (PrinterStatus and
the DLE EOT decoding), ``escpos_printer`` (TicketPrinter, PrinterMonitor), ``simulator``
(PrinterSimulator). Import from the modules; nothing is loaded here.
"""
