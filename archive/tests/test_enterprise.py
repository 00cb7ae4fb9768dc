"""一企一档 (000 信息采集存储分析和归档制度): scans checked for 180 PPI from the image, stored unchanged,
each collection with its 说明, originals due back within 24 hours, the export tree 企业名称/时间/事项
with the 明细表 at its root, carriers with their label and custody."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image

from archive.models import CaseFile, Collection
from archive.services import carrier_custody, carrier_register, casefile_seal, collection_create
from ledger.models import Event
from records.storage import blob_store

pytestmark = pytest.mark.django_db


def _scan(path, ppi):
    Image.new("RGB", (120, 160), "white").save(path, dpi=(ppi, ppi), quality=90)
    return path


def test_collections_scans_and_the_export_tree(desk, login):
    d = desk
    today = timezone.localdate()
    low = _scan(d.folder / "营业执照.jpg", 150)
    before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        collection_create(acting_user=d.officer, party=d.party, category="base", subject="营业执照", summary="营业执照副本",
                          collected_on=today, files=[(low, "营业执照.jpg")])
    assert "150PPI" in exc.value.messages[0] and "第五条" in exc.value.messages[0]
    assert Event.objects.count() == before and not Collection.objects.exists()
    with pytest.raises(ValidationError, match=r"内容概述.*第七条"):
        collection_create(acting_user=d.officer, party=d.party, category="base", subject="营业执照", summary=" ",
                          collected_on=today, files=[(low, "营业执照.jpg")])

    good = _scan(d.folder / "营业执照300.jpg", 300)
    received = timezone.now() - timedelta(hours=2)
    c = collection_create(acting_user=d.officer, party=d.party, category="base", subject="营业执照",
                          summary="营业执照副本扫描", collected_on=today, files=[(good, "营业执照.jpg")],
                          originals_from="企业安全管理部", originals_received_at=received)
    item = c.items.get()
    assert item.ppi == 300 and c.originals_due == received + timedelta(hours=24)
    with blob_store().open(item.record.current_version.sha256) as stream:
        assert stream.read() == good.read_bytes()  # not recompressed (第十一条)

    m = d.close_inspection("2026年度执法检查")
    casefile_seal(acting_user=d.archivist, case_file=CaseFile.objects.get(matter=m), retention="10")

    # the page: the archivist downloads the tree as a zip
    client = login(d.archivist)
    page = client.get(f"/archive/enterprises/{d.party.pk}/")
    assert page.status_code == 200 and "营业执照副本扫描" in page.content.decode() and "300PPI" in page.content.decode()
    read = Event.objects.filter(kind="record.list", actor=d.archivist).latest("index")
    assert read.data == {"purpose": "查看一企一档", "records": [item.record_id]}
    response = client.get(f"/archive/enterprises/{d.party.pk}/export/")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as z:
        names = z.namelist()
        index = list(csv.DictReader(io.StringIO(z.read("存储信息明细表.csv").decode("utf-8-sig"))))
        note = z.read(f"抚顺东华化工有限公司/{today.isoformat()}/营业执照/说明.txt").decode()
    assert f"抚顺东华化工有限公司/{today.isoformat()}/营业执照/营业执照.jpg" in names
    case_files = [n for n in names if "2026年度执法检查" in n]
    assert len(case_files) == 1 and case_files[0].startswith("抚顺东华化工有限公司/") and case_files[0].endswith(".pdf")
    assert all(len(n.split("/")) == 4 for n in names if n != "存储信息明细表.csv")  # 企业名称/时间/事项/文件
    assert [r["事项"] for r in index] == ["营业执照", case_files[0].split("/")[2]]
    assert index[0]["分辨率（PPI）"] == "300" and index[0]["SHA-256"] == item.record.current_version.sha256
    assert "采集人员：李执法" in note and "内容概述：营业执照副本扫描" in note
    assert Event.objects.filter(kind="enterprise.export", subject_id=str(d.party.pk)).exists()


def test_a_carrier_is_labelled_and_its_custody_logged(desk, login):
    d = desk
    with pytest.raises(ValidationError, match=r"保管期限.*第十八条"):
        carrier_register(acting_user=d.archivist, number="GP-001", kind="disc", period="2026年", retention="")
    carrier = carrier_register(acting_user=d.archivist, number="GP-001", kind="disc", period="2026年",
                               retention="10年", party=d.party, confidentiality="restricted")
    with pytest.raises(ValidationError, match="已登记"):
        carrier_register(acting_user=d.archivist, number="GP-001", kind="disc", period="2026年", retention="10年")
    carrier_custody(acting_user=d.archivist, carrier=carrier, action="lend", holder="李执法", note="复议答复调用")
    with pytest.raises(ValidationError, match="晚于现在"):
        carrier_custody(acting_user=d.archivist, carrier=carrier, action="return", holder="郑档案",
                        occurred_at=timezone.now() + timedelta(hours=1))
    label = login(d.archivist).get(f"/archive/carriers/{carrier.pk}/").content.decode()
    for text in ("GP-001", "抚顺东华化工有限公司", "2026年", "涉及商业秘密或个人隐私", "10年", "借出", "复议答复调用"):
        assert text in label
    assert list(carrier.custody.values_list("action", flat=True)) == ["register", "lend"]
