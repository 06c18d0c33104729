"""The ids of the page regions htmx swaps; the templates use the same ids."""

BOARD = "board"
MOVE_DIALOG = "move-dialog-body"
DETAIL = "partner-detail"
RESULTS = "results"
