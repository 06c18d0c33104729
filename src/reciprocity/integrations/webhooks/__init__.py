"""Signed webhooks: a firm's endpoints hear of what happens in its book (Standard Webhooks)."""
