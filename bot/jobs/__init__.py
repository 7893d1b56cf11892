"""Scheduled work: the weekly digest and monthly report, nudges and escalations, posting once."""
