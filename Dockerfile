FROM python:3.11-slim
WORKDIR /srv/gridcity/app
# pg_dump / pg_restore for `gridcity backup` and `restore` (Debian 12: version 15, as the server).
# fonts-wqy-microhei: the CJK font the scorecard PDFs embed (GRIDCITY_PDF_FONT_PATH).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY gridcity ./gridcity
COPY frontend ./frontend
COPY gis_data ./gis_data
RUN pip install --no-cache-dir -e '.[prod]'
ENV GRIDCITY_FRONTEND_DIR=/srv/gridcity/app/frontend
EXPOSE 8000
CMD ["gunicorn", "-k", "gevent", "--worker-connections", "2000", "-w", "1", "-b", "0.0.0.0:8000", "gridcity.wsgi:app"]
