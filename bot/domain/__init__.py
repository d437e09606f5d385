"""The rules of the cluster's admission, with no aiogram: what a valid application is, who
sees what, which reminder is due, how Telegram measures a text. Tested without Telegram."""
