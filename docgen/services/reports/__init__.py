"""Reports for the leaders: the monthly written report, the quarterly bulletin, seed 002's 月通报.

``model`` holds what a report says as plain data, ``compose`` writes it as a
GB/T 9704 .docx, ``gather`` reads it from the register as of a date, and
``service`` ties them to numbering, PDF and the errors people see.
"""
