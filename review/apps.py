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
        # 待审核 and the leader's 待我决定 on the home page.
        from org import queues
        from review.queues import review_queues

        queues.register(review_queues)
        # The matter page says at once when its decision needs review, and links to it.
        from review.notices import file_emergency, gate_emergency, matter_review_notice

        gates.register_notice(matter_review_notice)
        # An on-the-spot seizure (行政强制法 第十九条) is reviewed after the fact, before the approval.
        gates.register("approve_emergency", gate_emergency)
        gates.register_after("approve_emergency", file_emergency)
        # The reviewers assigned to a review read the records submitted to it (000 审核制度第五条、第七条).
        from records import grants
        from review.selectors import material_grant

        grants.register(material_grant)
