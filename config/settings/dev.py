from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
PUBLIC_PORT = env("PUBLIC_PORT", default=env("PORT", default="8000"))
