def test_it_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


def test_it_says_unhealthy_when_the_broker_is_unreachable(client, db, monkeypatch):
    from socialtraining import views

    monkeypatch.setattr(views, "_broker_ok", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] is False
