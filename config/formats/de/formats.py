# Dates as the site writes them in this language (FORMAT_MODULE_PATH in settings).
DATE_FORMAT = "j. F Y"
SHORT_DATE_FORMAT = "j. M Y"
