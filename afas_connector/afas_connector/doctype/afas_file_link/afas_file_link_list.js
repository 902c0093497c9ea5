// AFAS's references and file names are text wherever Frappe shows this DocType (public/js/afas_connector.js).
afas_connector.show_as_text("AFAS File Link", ["afas_reference", "afas_version", "file_name", "afas_key"]);
