from django.core.management import call_command

from campaign.loading import content_files, load_campaign
from campaign.models import Ask, Campaign, Fact, Source, Story


def snapshot():
    """Everything the loader writes, as comparable values."""
    return [list(model.objects.order_by("pk").values()) for model in (Campaign, Ask, Fact, Source, Story)]


def test_loader_creates_the_open_letter_with_its_five_asks(real_campaign):
    assert real_campaign.slug == "online-safety-bill"
    assert real_campaign.status == Campaign.Status.OPEN
    assert real_campaign.recipient_role == "Secretary of State for Digital, Culture, Media and Sport"
    assert real_campaign.letter.startswith("Dear Secretary of State,")
    assert [ask.title for ask in real_campaign.asks.all()] == [
        "Make platforms assess risks that cross from one app to another",
        "Stop offenders organising on social media",
        "A named manager responsible for children's safety at every platform",
        "Stronger powers for the regulator over private messaging",
        "A funded voice for children",
    ]


def test_loader_creates_the_sourced_figures_for_each_area(real_campaign):
    facts = {(fact.area, fact.figure) for fact in real_campaign.facts.all()}
    assert facts == {
        ("the UK", "more than 100,000"),
        ("the UK", "more than 25,000"),
        ("Sussex", "more than 3,380"),
        ("Sussex", "571"),
        ("the South West of England", "nearly 7,000"),
        ("Wiltshire", "1,329"),
    }
    assert all(fact.source.name and fact.source.publisher for fact in real_campaign.facts.all())


def test_loader_creates_the_story_with_names_changed(real_campaign):
    (story,) = real_campaign.stories.all()
    assert story.title == "Ben's story"
    assert story.names_changed


def test_loading_twice_changes_nothing(real_campaign):
    before = snapshot()

    (path,) = content_files()
    loaded = load_campaign(path)

    assert loaded.action == "unchanged"
    assert snapshot() == before


def test_loading_again_keeps_what_staff_edited(real_campaign):
    Campaign.objects.filter(pk=real_campaign.pk).update(title="Edited by staff")
    real_campaign.asks.filter(position=5).delete()

    (path,) = content_files()
    load_campaign(path)

    real_campaign.refresh_from_db()
    assert real_campaign.title == "Edited by staff"
    assert real_campaign.asks.count() == 4


def test_reset_restores_the_shipped_content(real_campaign):
    Campaign.objects.filter(pk=real_campaign.pk).update(title="Edited by staff")
    real_campaign.asks.filter(position=5).delete()

    (path,) = content_files()
    loaded = load_campaign(path, reset=True)

    assert loaded.action == "reset"
    assert loaded.campaign.pk == real_campaign.pk
    assert loaded.campaign.title == "Put children at the heart of the Online Safety Bill"
    assert loaded.campaign.asks.count() == 5
    assert loaded.campaign.facts.count() == 6
    assert Source.objects.count() == 2


def test_command_reports_what_it_did(db, capsys):
    call_command("load_campaign")
    call_command("load_campaign")

    assert capsys.readouterr().out.splitlines() == [
        "online-safety-bill: created",
        "online-safety-bill: unchanged",
    ]
