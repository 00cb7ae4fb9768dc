"""Events become leaves of a Merkle tree: gapless numbers, the hashed bytes, stored subtrees,
signed checkpoints. Events written before this change are numbered in the order they were made."""

from django.db import migrations, models


def number_existing_events(apps, schema_editor):
    from ledger import merkle
    from ledger.entries import entry_bytes

    Event = apps.get_model("ledger", "Event")
    Head = apps.get_model("ledger", "Head")
    Node = apps.get_model("ledger", "Node")
    known = {}
    size = 0
    for event in Event.objects.order_by("id"):
        event.index = size
        entry = entry_bytes(
            index=size,
            kind=event.kind,
            created_at=event.created_at,
            actor_id=event.actor_id,
            agency_id=event.agency_id,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            data=event.data,
        )
        leaf = merkle.leaf_hash(entry)
        event.entry, event.leaf_hash = entry.decode(), leaf.hex()
        event.save(update_fields=["index", "entry", "leaf_hash"])
        for level, i, h in merkle.new_nodes(size, leaf, lambda level, i: known[(level, i)]):
            known[(level, i)] = h
            Node.objects.create(level=level, index=i, hash=h.hex())
        size += 1
    frontier, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            frontier.append([level, start >> level, known[(level, start >> level)].hex()])
            start += 1 << level
    Head.objects.update_or_create(pk=1, defaults={"size": size, "frontier": frontier})


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Head",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.BigIntegerField(default=0)),
                ("frontier", models.JSONField(default=list, help_text="[[level, index, hash], …] complete subtrees on the right edge")),
            ],
            options={"verbose_name": "台账状态", "verbose_name_plural": "台账状态"},
        ),
        migrations.CreateModel(
            name="Node",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("level", models.PositiveSmallIntegerField()),
                ("index", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "树节点",
                "verbose_name_plural": "树节点",
                "constraints": [models.UniqueConstraint(fields=("level", "index"), name="ledger_node_unique")],
            },
        ),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.BigIntegerField(verbose_name="树大小")),
                ("root_hash", models.CharField(max_length=64, verbose_name="根哈希")),
                ("note", models.TextField(verbose_name="签名检查点")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="签署时间")),
            ],
            options={"verbose_name": "签名检查点", "verbose_name_plural": "签名检查点", "ordering": ["-size", "-id"]},
        ),
        migrations.AddField(model_name="event", name="index", field=models.BigIntegerField(null=True, verbose_name="序号")),
        migrations.AddField(model_name="event", name="entry", field=models.TextField(default="", verbose_name="叶子内容")),
        migrations.AddField(model_name="event", name="leaf_hash", field=models.CharField(default="", max_length=64, verbose_name="叶子哈希")),
        migrations.AlterField(model_name="event", name="created_at", field=models.DateTimeField(db_index=True, verbose_name="时间")),
        migrations.RunPython(number_existing_events, migrations.RunPython.noop),
        migrations.AlterField(model_name="event", name="index", field=models.BigIntegerField(unique=True, verbose_name="序号")),
        migrations.AlterField(model_name="event", name="entry", field=models.TextField(verbose_name="叶子内容")),
        migrations.AlterField(model_name="event", name="leaf_hash", field=models.CharField(max_length=64, verbose_name="叶子哈希")),
        migrations.AlterModelOptions(name="event", options={"ordering": ["index"], "verbose_name": "台账事件", "verbose_name_plural": "台账事件"}),
    ]
