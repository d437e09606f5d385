"""Delivery of what the bot owes Telegram: the outbox sender, pacing under the flood limits,
retries of replies, the leader lock of several processes."""
