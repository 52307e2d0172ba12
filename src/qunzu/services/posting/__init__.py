"""Posting a message: the rules that decide what a batch of posts stores (plan.py), pure and testable without a
database. The group commit that runs them is services/message_writer.py; the statements, storage/post_store*.py."""
