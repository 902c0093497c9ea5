// AFAS's keys are text wherever Frappe shows this DocType (public/js/afas_connector.js).
afas_connector.show_as_text("AFAS Record Link", ["afas_key", "reversal_key", "afas_modified"]);
