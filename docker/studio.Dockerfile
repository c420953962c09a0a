# The studio (Streamlit) and, from the same image, its own sign-in provider (`veogen
# identity`) and the one-shot schema migration (`veogen migrate`).
# Built from the repository's root: docker build -f docker/studio.Dockerfile .

# Stage 1: dependencies and the project in a virtual environment (compilers stay here).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml README.md ./
COPY storage storage
COPY engine engine
COPY studio studio
COPY pages pages
COPY .streamlit .streamlit
RUN /opt/venv/bin/pip install -e .

# Stage 2: what runs, as a user who owns nothing but the data folder.
FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --create-home veogen
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VEOGEN_DATA_DIR=/data \
    VEOGEN_STUDIO_ADDRESS=0.0.0.0
WORKDIR /app
USER veogen
VOLUME /data
EXPOSE 8501 8502
# /healthz and /readyz are the studio's own routes (studio/health.py)
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/healthz', timeout=4)"]
CMD ["veogen", "studio", "--port", "8501"]
