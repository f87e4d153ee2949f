"""Triggers of the Calendly provider."""
