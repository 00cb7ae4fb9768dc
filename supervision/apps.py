from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "执法监督"

    def ready(self):
        from org import gates
        from supervision.faults import suspended_officers, suspension_refusal

        # 停止执法工作 (003 附件3 第十八条（三）): no assignment, 双随机 task or enforcement step meanwhile.
        gates.register_assignment(suspension_refusal, suspended_officers)
        from supervision.statistics import connect_signals

        connect_signals()
