from django.apps import AppConfig


class MattersConfig(AppConfig):
    name = "matters"
    verbose_name = "执法事项"

    def ready(self):
        from matters.queues import matter_queues
        from org import queues

        queues.register(matter_queues)

        from matters.choices import ServiceMethod
        from matters.instrument_types import TYPES
        from matters.workflows import WORKFLOWS
        from policy.templatetags.policy_tags import register_code_labels

        # The packs name steps, 文书 and ways of service by code; the rules page shows them as here.
        for workflow in WORKFLOWS.values():  # a step before the 文书 of the same code
            register_code_labels({t.code: t.label for t in workflow.transitions})
        register_code_labels({code: kind.title for code, kind in TYPES.items()})
        register_code_labels(dict(ServiceMethod.choices))
