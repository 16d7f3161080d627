from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.accounts.api.serializers import (
    ApiTokenCreateSerializer,
    ApiTokenIssuedSerializer,
    ApiTokenSerializer,
    MeSerializer,
    SecurityPolicySerializer,
    TokenRequestSerializer,
    TwoFactorStatusSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, User
from apps.accounts.services import token_issue, token_revoke, user_create, user_delete, user_update
from apps.accounts.two_factor import (
    recovery_codes_left,
    security_policy_get,
    security_policy_update,
    two_factor_enabled,
    two_factor_required,
    two_factor_verify,
)
from apps.core.api.permissions import HasRole
from apps.core.api.throttling import AnonRateThrottle, LoginRateThrottle
from apps.core.errors import ApplicationError


@extend_schema(
    request=TokenRequestSerializer,
    responses={
        200: inline_serializer(
            "Token", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField(allow_null=True)}
        )
    },
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([LoginRateThrottle, AnonRateThrottle])
def token_obtain(request):
    """Exchange email and password (and, with two-factor authentication on, ``otp``: a code from
    the authenticator app or a recovery code) for an API token (``Authorization: Token …``).

    Each call issues a new token counted against the per-user cap; ``expires_at`` is optional.
    """
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    django_request = request._request
    user = authenticate(
        django_request,
        username=serializer.validated_data["email"].strip().lower(),
        password=serializer.validated_data["password"],
    )
    if getattr(django_request, "axes_locked_out", False):
        raise ApplicationError(
            "locked_out", _("Too many failed logins; this account is locked for a while."), status=429
        )
    if user is None:
        raise ApplicationError("invalid_credentials", _("Wrong email or password."), status=401)
    otp = serializer.validated_data.get("otp", "")
    if two_factor_enabled(user):
        if not otp:
            raise ApplicationError(
                "otp_required",
                _("This account uses two-factor authentication: send the code from the app as otp."),
                fields={"otp": [_("This field is required.")]},
                status=401,
            )
        if two_factor_verify(user=user, code=otp) is None:
            raise ApplicationError(
                "invalid_otp",
                _("That code is not right (or was already used)."),
                fields={"otp": [_("That code is not right (or was already used).")]},
                status=401,
            )
    elif two_factor_required(user):
        raise ApplicationError(
            "two_factor_setup_required",
            _("This account needs two-factor authentication: log in on the web once to set it up."),
            status=403,
        )
    issued = token_issue(
        user=user,
        name=serializer.validated_data.get("name") or "api",
        expires_at=serializer.validated_data.get("expires_at"),
    )
    # A token is a login: last_login moves and django-axes clears the failure count.
    user_logged_in.send(sender=user.__class__, request=django_request, user=user)
    return Response({"token": issued.raw, "expires_at": issued.token.expires_at}, status=status.HTTP_200_OK)


@extend_schema(responses={200: MeSerializer})
@api_view(["GET"])
def me(request):
    user = request.user
    tenant = getattr(request, "tenant", None)
    return Response(
        {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "roles": list(user.roles),
            "language": user.language,
            "tenant": None if connection.schema_name == "public" else getattr(tenant, "slug", None),
        }
    )


class UserViewSet(viewsets.ModelViewSet):
    """The company's users (administrators only)."""

    permission_classes = [HasRole.of(Role.TENANT_ADMIN)]
    serializer_class = UserSerializer
    queryset = User.objects.all().order_by("email")
    filterset_fields = ["is_active"]

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request, *args, **kwargs):
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_create(
            email=data["email"],
            name=data.get("name", ""),
            roles=data["roles"],
            password=data.get("password") or None,
            invited_by=request.user,
            base_url=f"{request.scheme}://{request.get_host()}",
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer})
    def update(self, request, *args, **kwargs):
        serializer = UserUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        user = user_update(user=self.get_object(), actor=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)

    def destroy(self, request, *args, **kwargs):
        user_delete(user=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenViewSet(viewsets.GenericViewSet):
    """The caller's API tokens: list, issue (the raw token is in the answer once), revoke.

    Tenant administrators see and revoke every user's tokens with ``?all=1``; everyone else
    only their own, and another user's token id answers 404 so ids reveal nothing.
    """

    serializer_class = ApiTokenSerializer
    pagination_class = None

    def get_queryset(self):
        tokens = ApiToken.objects.select_related("user").order_by("-created_at")
        user = self.request.user
        if self.request.query_params.get("all") in ("1", "true") and user.has_role(Role.TENANT_ADMIN):
            return tokens
        if self.action == "destroy" and user.has_role(Role.TENANT_ADMIN):
            return tokens
        return tokens.filter(user=user)

    def list(self, request):
        return Response(ApiTokenSerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenIssuedSerializer})
    def create(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = token_issue(
            user=request.user,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        data = ApiTokenSerializer(issued.token).data
        return Response({**data, "token": issued.raw}, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        token_revoke(token=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(responses={200: TwoFactorStatusSerializer})
@api_view(["GET"])
def two_factor_status(request):
    """The caller's two-factor authentication: on or off, required or not, recovery codes left.

    Enrolment (QR code) and recovery codes are on the web page /accounts/two-factor/.
    """
    user = request.user
    return Response(
        {
            "enabled": two_factor_enabled(user),
            "required": two_factor_required(user),
            "recovery_codes_left": recovery_codes_left(user),
        }
    )


@extend_schema(methods=["GET"], responses={200: SecurityPolicySerializer})
@extend_schema(methods=["PATCH"], request=SecurityPolicySerializer, responses={200: SecurityPolicySerializer})
@api_view(["GET", "PATCH"])
@permission_classes([HasRole.of(Role.TENANT_ADMIN)])
def security_policy(request):
    """The company's security policy (administrators): whether administrators need 2FA."""
    if request.method == "PATCH":
        serializer = SecurityPolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = security_policy_update(actor=request.user, **serializer.validated_data)
    else:
        policy = security_policy_get()
    return Response(SecurityPolicySerializer(policy).data)
