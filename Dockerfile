# The Telegram bot. Build: docker build -t mastery-faq-bot .
# Run:   docker run --env-file .env -v mastery-faq-data:/data mastery-faq-bot
# To let curators edit answers without a rebuild, also mount the folder and use /reload in Telegram:
#        -v "$PWD/knowledge:/app/knowledge:ro"
# The token comes only from the environment at run time: it is never baked into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

RUN useradd --create-home --uid 10001 bot \
    && mkdir /data \
    && chown bot:bot /data

WORKDIR /app

# Dependencies come from pyproject.toml alone; this layer is rebuilt only when the code changes.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && rm -rf build *.egg-info

# The knowledge base changes most often, so it is copied last. The installed package finds it as ./knowledge
# in the working directory (bot/content/locate.py); KNOWLEDGE_DIR still overrides it. `python -m bot check` fails the build on a
# broken knowledge base instead of leaving it to the first start.
COPY knowledge ./knowledge
RUN python -m bot check

USER bot
# Chat state (the self-check in progress) and the question log live here; mount a volume so they survive
# new containers.
VOLUME ["/data"]
# Used only in webhook mode (WEBHOOK_URL set); WEBHOOK_PORT defaults to 8443.
EXPOSE 8443

CMD ["python", "-m", "bot"]
