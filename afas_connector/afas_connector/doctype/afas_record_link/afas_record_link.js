frappe.ui.form.on("AFAS Record Link", {
	refresh(frm) {
		// The heading is the AFAS key (the title field). Frappe strips what looks like a tag from a
		// heading, which would show part of a key holding < or >: such a key is set again, as text.
		const key = frm.doc.afas_key || "";
		if (/[<>]/.test(key)) frm.page.set_title(frappe.utils.escape_html(key), null, true, key);
	},
});
