from django.contrib.auth.models import User


def test_guessing_a_staff_password_is_stopped_after_a_few_tries(db, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user("editor", password="correct horse battery", is_staff=True)

    statuses = [
        client.post("/admin/login/", {"username": "editor", "password": f"guess{i}"}).status_code for i in range(3)
    ]
    locked = client.post("/admin/login/", {"username": "editor", "password": "correct horse battery"})

    assert statuses[:2] == [200, 200]
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_sign_in_works_with_the_right_password(db, client):
    User.objects.create_user("editor", password="correct horse battery", is_staff=True)

    response = client.post("/admin/login/", {"username": "editor", "password": "correct horse battery"})

    assert response.status_code == 302
