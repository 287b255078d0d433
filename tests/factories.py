from datetime import timedelta

import factory
from faker import Faker

from accounts.models import Membership, Organization, Role, User
from cohorts.models import Cohort, CohortRole, Enrolment, StudyGroup, WorkshopSession
from socialtraining import clock

PASSWORD = "a-long-test-password-42"
fake = Faker()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            from allauth.account.models import EmailAddress

            self.save()
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


def users_bulk_create(emails: list[str]) -> list[User]:
    """The users UserFactory makes (password, verified primary address), in two inserts rather
    than four queries each: for tests that need hundreds of people."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        User(email=email, display_name=fake.name(), password=password) for email in emails
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    return users


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.PARTICIPANT


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Feedback that lands #{n}")
    time_zone = "Europe/Paris"


class WorkshopSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopSession

    cohort = factory.SubFactory(CohortFactory)
    starts_at = factory.LazyFunction(lambda: clock.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=6))


class StudyGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudyGroup

    cohort = factory.SubFactory(CohortFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    cohort = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)
    role = CohortRole.PARTICIPANT
