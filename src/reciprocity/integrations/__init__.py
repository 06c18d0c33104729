"""Reciprocity in the firm's other systems: emails logged by themselves, and webhooks."""
