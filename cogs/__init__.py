"""discord.py extensions loaded by the bot in ``setup_hook``."""
