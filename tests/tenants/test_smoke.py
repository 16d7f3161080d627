def test_signup_smoke(public_api):
    r = public_api.post(
        "/api/v1/signup",
        {
            "company": "X",
            "slug": "xcorp",
            "admin_email": "a@x.cn",
            "admin_password": "Sup3r-secret-pw",
            "seats": 3,
            "plan": "starter",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
