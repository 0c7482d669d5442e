"""Four-eyes approvals: a sensitive staff action is asked for by one member and done when another approves."""
