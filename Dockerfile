# One image for web, worker, beat and the one-shot migrate service (see docker-compose.yml).

# Front-end assets from npm at the versions pinned in package-lock.json; no CDN.
FROM node:22-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
# axe-core and oidc-provider are devDependencies: only the tests use them.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # settings.BASE_DIR must be this folder (templates/, static/ live here), not site-packages;
    # celery does not put the working directory on sys.path, so say it for every process.
    PYTHONPATH=/app
WORKDIR /app

RUN useradd --create-home --uid 1000 app

# No Debian package is needed for SSO or LTI: python3-saml's xmlsec and lxml wheels carry their
# libraries. (The tests' SAML identity provider needs the xmlsec1 command: .ci/run installs it.)
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN pip install . \
    # Build-time values only: collectstatic needs settings, not a database or real secrets.
    && DEBUG=false SECRET_KEY=collectstatic-only-not-used-at-run-time \
       python manage.py collectstatic --noinput \
    && mkdir -p var \
    && chown -R app:app var

USER app
EXPOSE 8000
CMD ["gunicorn", "socialtraining.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
