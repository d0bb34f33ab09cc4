"""Every user-facing sentence of the core, in one place, so wording stays consistent."""

USAGE_HINT = "Usage: `{usage}`"
TRY_HELP = "Type `help` to see the commands you can run."
DID_YOU_MEAN = "Did you mean {names}? Type `help` for the full list."
UNKNOWN_COMMAND = "There is no command called `{name}`."
EMPTY_INPUT = "Type a command, for example `help`."
MISSING_ARGUMENT = "`{param}` is missing."
BAD_ARGUMENT = "`{param}` {problem}"
BAD_VALUE = "`{value}` {problem} (that was the `{param}` argument)"  # names what the user typed
TOO_MANY_ARGUMENTS = "There is more than this command takes: `{extra}`."
INPUT_TOO_LONG = "That message is {length} characters long; commands take at most {limit}."
UNBALANCED_QUOTES = "A quote is opened and never closed."
UNKNOWN_KEYWORD = "`{name}=` is not an argument of `{command}`."
DUPLICATE_ARGUMENT = "`{param}` is given twice."
DENIED = "You can't do that: {reason}."
APOLOGY = "Sorry, something went wrong on our side. The team has been told; quote reference `{ref}` if you ask about it."
APOLOGY_AFTER_CHANGE = ("The change was made in {system}, but something went wrong on our side while answering. "
                        "The team has been told; don't run it again. Reference `{ref}`.")
SERVICE_FAILED = "A service this command needs is not working."
# A service (the ops backend, an approvals channel) failed: its own sentence, then the reference.
SERVICE_UNAVAILABLE = "{message} Reference `{ref}`."
SERVICE_UNAVAILABLE_AFTER_CHANGE = ("{done} done in {system}; then: {message} Reference `{ref}`.")
UNAVAILABLE = "The service is briefly unavailable (its database is not answering). Nothing was changed; please try again in a minute. Reference `{ref}`."
# The database failed after a change had already been sent to another system: say what is known.
UNAVAILABLE_AFTER_CALL = ("The service's database stopped answering after the change was sent to {system}. It is not "
                          "lost: it is checked again automatically and you will be told the result. Don't run it "
                          "again meanwhile. Reference `{ref}`.")
OUTCOME_UNKNOWN = ("{system} was sent the change but gave no clear answer ({reason}), so it is not known yet "
                   "whether it was made. Nothing is assumed: the same request is sent again automatically (it cannot be "
                   "applied twice) and you will be told the result; you don't need to do anything. Reference "
                   "`{ref}`.")
BEING_MADE = "Its change is being made right now."
OUTCOME_STILL_UNKNOWN = ("{system} still gives no clear answer about the change ({reason}) after repeated checks, "
                         "so it is not known whether it was made. A person from the team will check it and tell "
                         "you; please don't run it again meanwhile. Reference `{ref}`.")
IN_PROGRESS = "This is being done right now; its answer will follow. Nothing more was started."
CHECKED_AGAIN = "Checked again with {system}: "
NOT_ACCEPTED = ("The service is briefly unavailable (its database is not answering), so your request was not "
                "taken. Nothing was done; please try again in a minute.")
BUSY = "The bot is very busy right now and could not take this. Nothing was done; please try again in a minute."
GAVE_UP = ("Your request could not be processed after {attempts} attempts ({reason}). {what} Reference `{ref}`.")
LATE = "This answer is late: {why}."
LATE_AGAIN = ("the service restarted just after handling it, so this answer is sent again; if it reached you "
              "already, it is the same one and nothing was done twice")
CONFIRM_PROMPT = "Check the change below, then press Confirm."
CONFIRMED_ALREADY = "This was already {state}; nothing more was done."
ACTION_EXPIRED = "This button has expired. Run the command again."
ACTION_NOT_YOURS = "only the person who asked ({owner}) can {verb} this"  # a DENIED reason
RUN_IT_YOURSELF = "Run the command yourself if you need the change."
ACTION_UNKNOWN = "This button is not valid any more. Run the command again."
CANCELLED = "Cancelled. Nothing was changed."
KEY_REUSED = "This request id was already used for a different request. Nothing was done."
FIELD_TOO_LONG = "This request is malformed: its {field} is longer than {limit} characters."
DONE = "Done."

# ---- help ------------------------------------------------------------------------------------------
HELP_NO_SUCH_COMMAND = "There is no command `{name}` that you can run.{hint}"
HELP_DID_YOU_MEAN = " Did you mean {names}?"
HELP_FOR_THE_LIST = "Type `help` for the list."
HELP_TITLE = "*{name}* — {summary}"
HELP_CHANGES_DATA = "This command changes data: you will see a preview and confirm it first."
HELP_HEADER = "Commands you can run:"
HELP_FOOTER = "Type `help COMMAND` for details."

# ---- runs settled later (a crash, an unclear answer, a person) ------------------------------------
APPROVED_REQUEST_ENDED = "Your request “{summary}”, approved by {approver}, {what}"
NOT_FINISHED_NOTHING_SENT = ("Your earlier request `{command}` could not be finished ({why}). It changed nothing; "
                             "please run it again.")
CHECKED_REFUSED = "Checked again: `{command}` could not be done: {refused} Nothing was changed by it."
CHECKED_DONE = ("Checked again: your earlier request `{command}` was done ({operations} confirmed by sending the "
                "same request again).")
SETTLED_BY_HAND = "`{command}`: {why}."

# ---- what a request that was given up on did (chatops.work.gave_up_what) ---------------------------
GAVE_UP_UNCHECKED = "Whether it changed anything could not be checked (the database is unavailable)."
GAVE_UP_NOTHING_DONE = "Nothing was done."
GAVE_UP_NOTHING_CHANGED = "Nothing was changed."
GAVE_UP_CHANGE_MADE = "Its change was made; only the answer could not be given."
GAVE_UP_BEING_CHECKED = "A change it sent is checked again automatically; you will be told the result."

# ---- policy remedies (chatops.policy) -------------------------------------------------------------
REMEDY_SWITCHED_OFF = "Ask an admin if you think it should be on."
REMEDY_ROLE = "Ask your team lead or a chatops admin to grant the role, or open a request with `support`."
REMEDY_TIER = "Ask in the general support channel, or ask your community's admin about becoming a partner."
REMEDY_CHANNEL = "Run it in the channel set aside for it (ask an admin which one)."
REMEDY_CHANNEL_OR_DM = "Run it in the channel set aside for it (ask an admin which one), or in a direct message to the bot."
REMEDY_DIRECT = "Send it to the bot in a direct message."
REMEDY_STAFF = ("Ask your team lead or a chatops admin if you should have a staff role, or open a request "
                "with `support`.")
