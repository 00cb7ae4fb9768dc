from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "法制审核"

    def ready(self):
        from matters import gates
        from review import scope, services

        # No major decision without review (000 第十四条; 行政处罚法 第五十八条), and 备案 after it.
        gates.register("decide", scope.gate_decide)
        gates.register("seal", scope.gate_seal)
        gates.register("suspend", scope.gate_suspend)
        gates.register("cut_supply", scope.gate_cut_supply)
        for transition in scope.GATED:
            gates.register_after(transition, services.decision_file)
        # A review's due time moves with its tracked deadline when a year's holidays are entered.
        from policy.signals import deadline_moved

        deadline_moved.connect(services.due_follow, dispatch_uid="review.due_follow")
