app_name = "afas_connector"
app_title = "AFAS Connector"
app_publisher = "afas_connector contributors"
app_description = "Sync ERPNext with AFAS Profit through AFAS's REST API"
app_email = "dev@afas-connector.local"
app_license = "mit"

# "org/repo" keeps install-app from asking GitHub for erpnext when offline.
required_apps = ["frappe/erpnext"]

export_python_type_annotations = True

# v15 names a Scheduled Job Type by the last two parts of the path ("pull.enqueue_due_pulls").
scheduler_events = {
	"cron": {
		"* * * * *": ["afas_connector.binding.pull.enqueue_due_pulls"],
		"*/5 * * * *": ["afas_connector.binding.outbox.sweep"],
		# Alerts: every five minutes (offset from the sweeper), and the optional digest at 07:00.
		"2-59/5 * * * *": ["afas_connector.binding.alerts.evaluate_afas_alerts"],
		"0 7 * * *": ["afas_connector.binding.alerts.send_afas_digest"],
	},
}

# Frappe's Log Settings delete successful AFAS Sync Logs after this many days (failed ones stay), and
# AFAS Usage days (one small row per day and connector) after 400;
# change the number under Log Settings.
default_log_clearing_doctypes = {"AFAS Sync Log": 30, "AFAS Usage": 400}

_EVENTS = "afas_connector.binding.doc_events"
_OUTBOUND = f"{_EVENTS}.on_document_event"
# No "after_insert": on_update also runs for an insert (with doc.flags.in_insert set), so one
# dispatch per save is enough for every DocType of the site. Renames and merges keep links true.
doc_events = {
	"*": {
		"on_update": _OUTBOUND,
		"on_submit": _OUTBOUND,
		"on_cancel": _OUTBOUND,
		"on_trash": _OUTBOUND,
		"on_update_after_submit": _OUTBOUND,
		"before_rename": f"{_EVENTS}.before_rename",
		"after_rename": f"{_EVENTS}.after_rename",
	},
	# a file attached to a document that pushes its attachments to AFAS goes there too
	"File": {"after_insert": "afas_connector.binding.doc_events.on_file_attached"},
}

# "Push to AFAS" on the forms of mapped DocTypes; which ones comes with the boot info.
app_include_js = "/assets/afas_connector/js/afas_connector.js"
boot_session = "afas_connector.binding.doc_events.boot_session"

# What the flows tell (binding/facts.py) and who acts on it: the flows never call an observer.
afas_observers = {
	"credentials_refused": ["afas_connector.binding.alerts.credentials_refused"],
	"credentials_accepted": ["afas_connector.binding.alerts.credentials_accepted"],
	"job_started": ["afas_connector.binding.alerts.note_scheduler_off"],
}

# The app's jobs write their logs in the language of whoever queued them, else the site's.
before_job = ["afas_connector.binding.language.before_job"]

after_install = "afas_connector.install.after_install"
after_migrate = "afas_connector.install.after_install"
before_tests = "afas_connector.install.before_tests"

# Our links to a document must never block deleting or cancelling it (the delete is pushed to AFAS).
ignore_links_on_delete = ["AFAS Record Link", "AFAS Sync Log", "AFAS Alert", "AFAS File Link"]
auto_cancel_exempted_doctypes = ["AFAS Sync Log"]
