"""Reports: the PDF of a period's figures, reports e-mailed on a schedule, read-only share links.

models.py      ScheduledReport, ShareLink, ReportLogo (the workspace's logo on its reports)
fonts.py       finds a TrueType font with Greek letters at run time (KERYX_PDF_FONT)
content.py     gathers one report's figures from keryx.analytics.services
pdfcharts.py   draws the charts with fpdf2's vector shapes
pdf.py         lays the report out as a PDF
schedule.py    periods, the guarded claim and the e-mailing of scheduled reports
sharing.py     share links: issue, resolve, revoke
logo.py        the logo upload (checked and re-encoded with Pillow)
"""
