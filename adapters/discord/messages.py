"""Every user-facing sentence of the Discord adapter (the core's own are in chatops.messages)."""

UNREADABLE = "That request could not be read (it may come from an outdated command list). Nothing was done."
FORM_EXPIRED = "This form is not valid any more. Run the command again."
THREAD_NAME = "{title}"
