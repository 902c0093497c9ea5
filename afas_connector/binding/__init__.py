"""The frappe layer. Importing any of it words AFAS's errors in the reader's language: the pure layer
keeps each error's English template apart (``afas/errors.py``), and ``frappe._`` translates it with the
app's ``translations/nl.csv`` — in the desk, in Sync Logs and in background jobs alike."""

import frappe

from afas_connector.afas.errors import set_translator

set_translator(frappe._)
