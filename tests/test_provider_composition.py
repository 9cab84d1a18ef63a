"""A provider is composed of mixins (publishing, inbox, public pages, listening, OAuth …).
Two sibling mixins that define the same helper silently shadow one another by MRO order: the
listening mixin's `_found(status)` once replaced the statuses' `_found(root, request)`, and
Mastodon's lookup after a crash broke. Here every provider is checked for such collisions."""

from __future__ import annotations

import inspect

import pytest

from keryx.networks import registry

# Names a mixin may define on purpose for its siblings (the provider interface itself).
_INTERFACE = {"__init__", "__doc__", "__module__", "__qualname__", "__annotations__",
              "__dict__", "__weakref__", "__firstlineno__", "__static_attributes__",
              "__orig_bases__", "__parameters__", "__abstractmethods__", "_abc_impl"}


def _collisions(provider_class: type) -> list[str]:
    own = [klass for klass in inspect.getmro(provider_class)
           if klass.__module__.startswith("keryx.networks.") and klass is not provider_class]
    found = []
    for index, first in enumerate(own):
        for second in own[index + 1:]:
            for name in set(vars(first)) & set(vars(second)) - _INTERFACE:
                if issubclass(first, second) or issubclass(second, first):
                    # An override along one line of inheritance is deliberate, but a private
                    # helper redefined with other parameters is a name clash, not an override.
                    if (name.startswith("_") and not name.startswith("__")
                            and _parameters(vars(first)[name]) != _parameters(vars(second)[name])):
                        found.append(f"{provider_class.__name__}: {first.__name__}.{name} "
                                     f"redefines {second.__name__}.{name} with other parameters")
                    continue
                if name in vars(provider_class):
                    continue  # the provider resolves the clash itself
                if _shared_interface(provider_class, name, first, second):
                    continue
                found.append(f"{provider_class.__name__}: {first.__name__}.{name} shadows "
                             f"{second.__name__}.{name}")
    return found


def _parameters(attribute: object) -> list[str] | None:
    """The parameter names a caller passes (without self/cls); None for a non-callable."""
    function = getattr(attribute, "__func__", attribute)
    if not callable(function):
        return None
    names = list(inspect.signature(function).parameters)
    return names if isinstance(attribute, staticmethod) else names[1:]


def _shared_interface(provider_class: type, name: str, first: type, second: type) -> bool:
    """Both implement a method declared by a common base (the provider interface): fine."""
    for base in inspect.getmro(provider_class):
        if base in (first, second) or name not in vars(base):
            continue
        if issubclass(first, base) and issubclass(second, base):
            return True
    return False


@pytest.mark.parametrize("network", registry.names())
def test_no_mixin_silently_shadows_another(network):
    assert _collisions(registry.get_provider_class(network)) == []


def test_the_check_sees_a_shadowed_helper():
    class Publishing:
        def _found(self, root, request):
            return root

    class Listening:
        @staticmethod
        def _found(status):
            return status

    Publishing.__module__ = Listening.__module__ = "keryx.networks.example"

    class Provider(Publishing, Listening):
        pass

    Provider.__module__ = "keryx.networks.example"
    assert _collisions(Provider) == ["Provider: Publishing._found shadows Listening._found"]


def test_the_check_sees_a_helper_redefined_with_other_parameters():
    class Statuses:
        def _found(self, root, request):
            return root

    class Listening(Statuses):
        @staticmethod
        def _found(status):
            return status

    class Provider(Listening):
        pass

    for klass in (Statuses, Listening, Provider):
        klass.__module__ = "keryx.networks.example"
    assert _collisions(Provider) == [
        "Provider: Listening._found redefines Statuses._found with other parameters"]
