"""Applying: the consent first, then the form one question at a time, documents, review, submit.

The form is a table (``steps``: one row per question, in the order asked); the routers look up
the row of the dialogue's state. The answers are a typed draft (``bot/domain/draft.py``) kept
under a destiny of their own (``draft_store``), apart from every other dialogue.

- ``draft_store``: where the draft is kept; ``files``: files received in a dialogue (shared
  with «My application»); ``screens``: the screens with a layout of their own;
- ``steps``: the table; ``flow``: asking a step, what comes next, where a draft goes on;
- routers: ``entry`` (Apply, continue, back, cancel, change an answer), ``answers`` (answers by
  button and by text), ``documents``, ``submit``; ``router.get_router`` puts them together.

This ``__init__`` imports nothing, so that the leaves are imported without the routers.
"""
