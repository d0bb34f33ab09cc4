"""Every user-facing sentence of the Discord adapter (the core's own are in chatops.messages)."""

UNREADABLE = "That request could not be read (it may come from an outdated command list). Nothing was done."
FORM_EXPIRED = "This form is not valid any more. Run the command again."
REFILL = "Edit and send again"  # the button under an error answering a form: reopens it as it was filled in
REFILL_GONE = "That form's answers are not kept any more. Run the command again."
REFILL_NOT_YOURS = "Only the person who filled in this form can edit it."
THREAD_NAME = "{title}"
