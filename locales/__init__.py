"""gettext catalogues: ``messages.pot`` and ``<lang>/LC_MESSAGES/messages.po``.

The compiled ``.mo`` files are not in git; :func:`bot.i18n.build_i18n` compiles them.
"""
