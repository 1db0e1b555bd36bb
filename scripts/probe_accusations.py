"""How the committed classifier reads accusations that avoid the fraud words (the project's own probes).

Most defamation in the training data names fraud, theft or a scam. This script probes the other
accusations LABELING.md counts as defamation: discrimination, sexual harassment, bribery, selling or
leaking customers' data, unpaid or under-paid workers, tax evasion, price-fixing, bought reviews,
counterfeits, pollution, animal cruelty, no licence and dangerous health claims, stated as fact, first-hand,
as a rumour or as an insinuating question. Half the probes are look-alikes in the same vocabulary that are
not defamation: ordinary complaints, sincere questions, news that accuses no one here, and praise.
Every post and business name is invented for this script; half are Hebrew, half English.
Usage: .venv/bin/python scripts/probe_accusations.py [HEAD_DIR]   (default: the committed model; a HEAD_DIR
written by `repmon train --output` or scripts/try_candidates.sh probes that model instead)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.evaluation import run_probes
from monitor.wiring import configured_classifier

# (post, what LABELING.md says it is)
PROBES = [
    # defamation, English
    (
        "Applied for the front desk job at Brightline Logistics. HR lady told me to my face they "
        "'don't hire Arabs for customer-facing roles'. I have the voice note.",
        "defamation",
    ),
    (
        "@CedarGrillTLV turned my brother away at the door bc of his wheelchair, manager said "
        "'no disabled on weekends, it slows the floor'. unbelievable",
        "defamation",
    ),
    (
        "Nova Fitness cancelled my membership the week after I started wearing a hijab to class. "
        "The manager literally said other members 'felt uncomfortable'.",
        "defamation",
    ),
    (
        "worked in sales at Pinecrest Motors for 3 yrs. the women get paid less than the men for the exact "
        "same targets, I saw the payslips",
        "defamation",
    ),
    (
        "the owner of Lumo Cafe groped two waitresses at the staff party and they still work there bc they "
        "need the money. everyone on the team knows",
        "defamation",
    ),
    (
        "Funny how Harbor Bites passed the health inspection right after the owner handed the inspector "
        "a fat envelope. I was standing right there 🙃",
        "defamation",
    ),
    (
        "Zenpay sells your phone number and purchase history to marketing firms. Got a spam call quoting my "
        "exact order 2 days after signing up, and an ex-employee confirmed it to me.",
        "defamation",
    ),
    (
        "heard from a friend who works there that Meridian Clinic had a leak of patient files last month "
        "and just... told nobody. check your inbox ppl",
        "defamation",
    ),
    (
        "QuickBox Delivery pays riders 22 shekels an hour cash. way under minimum wage, "
        "I rode for them all summer",
        "defamation",
    ),
    (
        "Still waiting on 3 months of salary from Orchid Events. They just stopped paying all of us and "
        "changed the office locks 🙃",
        "defamation",
    ),
    (
        "how long is Golden Spoon gonna keep the 'card machine broken, cash only, no receipt' thing going? "
        "2 years now. the taxman would love to know",
        "defamation",
    ),
    (
        "Screenshots from their group chat: Alpha Fuel and Ridge Petroleum agreed to raise prices "
        "together on the same morning. That's price-fixing, not 'market forces'.",
        "defamation",
    ),
    (
        "Bloomwell Spa pays ppl for 5 star reviews. they offered me a free massage for one, "
        "I still have the DM",
        "defamation",
    ),
    (
        "the 'original' Stellar sneakers I bought from @KickHub are fakes. stitching, box and serial "
        "all wrong, and the brand confirmed they're not theirs",
        "defamation",
    ),
    (
        "Watched a Cleanway Laundry truck dump barrels of chemical stuff into the stream behind the "
        "industrial zone at 2am. I have video.",
        "defamation",
    ),
    (
        "I volunteered at PetPalace. The puppies are kept in tiny cages without water for days and the sick "
        "ones are left to die in the back room 💔",
        "defamation",
    ),
    # defamation, Hebrew
    (
        "ניסיתי להתקבל למלצרות במסעדת הזית הירוק, המנהל אמר לי בטלפון "
        "שהם 'לא מקבלים אתיופים לפלור'. ככה, בלי בושה",
        "defamation",
    ),
    ("בפאוור פלוס לא נתנו לבן שלי עם התסמונת להירשם, אמרו שהוא 'יפריע למתאמנים'. אפליה בוטה", "defamation"),
    ("שמעתי שהבעלים של קפה לימונית מטריד מינית את המלצריות הצעירות, כבר שלוש עזבו בגללו", "defamation"),
    (
        "המנהל של סופר השכונה שלח לי הודעות מיניות בלילות כשעבדתי שם, ואיים לפטר אותי אם אספר למישהו",
        "defamation",
    ),
    ("איך בדיוק אולם גן עדן עבר ביקורת כיבוי אש? אולי המעטפה שהבעלים הכניס לפקח עזרה קצת? 🤔", "defamation"),
    (
        "קליקטל מוכרים את פרטי הלקוחות לחברות ביטוח. עבדתי במוקד שלהם ראיתי את הקבצים יוצאים כל חודש",
        "defamation",
    ),
    (
        "במאפיית הבוקר משלמים 25 ש״ח לשעה במזומן בלי תלוש, הרבה מתחת למינימום. מי שפותח את הפה עף",
        "defamation",
    ),
    ("מסעדת טעמים לא שילמה לי משכורת כבר חודשיים והבעלים לא עונה לטלפונים. אני לא היחיד", "defamation"),
    ("באלקטרו סיטי אם משלמים מזומן אין קבלה אף פעם, המוכר אמר לי בעצמו שככה חוסכים מס 😂", "defamation"),
    (
        "מוסך הדר ומוסך אלון סגרו ביניהם מחיר אחיד לטיפול שנתי, אחד המכונאים אמר לי את זה בפה מלא",
        "defamation",
    ),
    ("כל הביקורות של 5 כוכבים על דנטה פלוס קנויות, הציעו לי 50 ש״ח לכתוב אחת", "defamation"),
    (
        "התיקים ה'מקוריים' בשלי שיק זיופים. לקחתי לבדיקה אצל נציג המותג ואמרו לי שזה בכלל לא שלהם",
        "defamation",
    ),
    ("המפעל של חלב הגליל הירוק שופך שפכים לנחל בלילות, הדגים מתים והסרחון בכל המושב", "defamation"),
    ("בפינת החי של פארק ההרפתקאות מרעיבים את החמורים, ראיתי עובד מכה אחד מהם במקל מול הילדים", "defamation"),
    ("למכון עור חדש אין רישיון בכלל, והם מזריקים בוטוקס בלי רופא בחדר. תבדקו לפני שאתן הולכות", "defamation"),
    (
        "הנטורופת של טבע בריא אמר לאמא שלי להפסיק אינסולין כי התמצית שלהם 'מרפאת סוכרת'. היא הגיעה למיון",
        "defamation",
    ),
    # look-alikes, English
    (
        "barista at Lumo Cafe rolled her eyes at me and served everyone behind me first. felt totally "
        "ignored, so rude 🙄",
        "complaint",
    ),
    ("Alpha Fuel at 7.90 a litre?! these guys price like a cartel lol. robbery", "complaint"),
    (
        "Waited 50 minutes for a table at Harbor Bites WITH a reservation. slowest service in town",
        "complaint",
    ),
    ("@Zenpay the app makes me re-enter my ID details every single login. fix it already pls", "complaint"),
    (
        "Massage at Bloomwell Spa was mediocre at best and priced like a luxury resort. honestly dont get "
        "all the 5 star reviews",
        "complaint",
    ),
    (
        "KickHub took 3 weeks to deliver and the sneaker box arrived crushed. shoes are fine but come on",
        "complaint",
    ),
    ("@Zenpay do you share my data with third parties? couldnt find it in the privacy policy", "neutral"),
    ("Is Orchid Events hiring for the summer season? looking for weekend shifts", "neutral"),
    (
        "Ridge Petroleum's CEO testified today as a witness in the ex-deputy mayor's bribery trial. "
        "The company isn't accused of anything, hearing continues Monday.",
        "neutral",
    ),
    (
        "Local paper: Pinecrest Motors won its discrimination suit against a supplier who refused to deal "
        "with their female managers.",
        "neutral",
    ),
    (
        "Does PetPalace have a vet on site or do you work with an outside clinic? thinking of adopting",
        "neutral",
    ),
    ("is Cleanway Laundry's detergent ok for babies with sensitive skin? whats in it?", "neutral"),
    (
        "Shoutout to Nova Fitness, they treat everyone equally. my friend in a wheelchair got a full custom "
        "program and the staff were amazing 💪",
        "praise",
    ),
    (
        "Orchid Events paid every staff member full salary during the closure with zero events. respect 🙏",
        "praise",
    ),
    (
        "Golden Spoon gave me a proper receipt and emailed an invoice for my company without me even asking. "
        "small thing but so pro",
        "praise",
    ),
    (
        "Brightline Logistics hired my cousin who's deaf and taught the whole team basic sign language. "
        "love to see it",
        "praise",
    ),
    # look-alikes, Hebrew
    (
        "המלצרית בקפה לימונית התעלמה מאיתנו 20 דקות ואז זרקה את התפריט על השולחן. חוסר נימוס ברמות",
        "complaint",
    ),
    ("בסופר השכונה המחירים כאילו הם קרטל, 14 שקל לקוטג'?? השתגעתם", "complaint"),
    ("חיכיתי שעה וחצי בדנטה פלוס למרות שהיה לי תור קבוע. אין שום כבוד לזמן של אנשים", "complaint"),
    ("קליקטל כבר שבוע אין לי אינטרנט בבית ואף אחד במוקד לא חוזר אליי. מה קורה?", "complaint"),
    ("התיק שקניתי בשלי שיק נקרע אחרי חודש. איכות ירודה למחיר כזה", "complaint"),
    ("הנציג של ביטוח מגן דיבר אליי בזלזול כאילו אני מטומטמת. לא חוזרת אליהם", "complaint"),
    ("שאלה לקליקטל: אתם מעבירים את הפרטים שלי לצד שלישי? רוצה לדעת לפני שאני מצטרפת", "neutral"),
    ("מאפיית הבוקר מחפשים עובדים? ראיתי שלט בחלון אבל לא כתוב למי לפנות", "neutral"),
    ("בעיתון המקומי: מוסך הדר זכה בתביעה נגד ספק שסירב לעבוד עם המכונאיות שלו בגלל שהן נשים", "neutral"),
    (
        "ראיתי בחדשות שמשפט השוחד של ראש המועצה לשעבר נדחה שוב. אגב מישהו יודע מתי נפתחת ההרשמה לקייטנה "
        "של פארק ההרפתקאות?",
        "neutral",
    ),
    ("יש אצלכם בעור חדש רופא שמבצע את ההזרקות? ואיזה רישיון יש למכון? רוצה לבדוק לפני שאני קובעת", "neutral"),
    ("המוצרים של טבע בריא מתאימים לסוכרתיים? אשמח לרשימת רכיבים", "neutral"),
    ("בפאוור פלוס מתייחסים לכולם אותו דבר, דתיים, חילונים, ערבים, מבוגרים. מקום מכבד ❤️", "praise"),
    ("מסעדת טעמים המשיכה לשלם לעובדים משכורת מלאה כל תקופת הסגר. ככה עושים את זה 👏", "praise"),
    ("חלב הגליל הירוק הקימו מתקן טיהור חדש והנחל ליד המפעל נקי מאי פעם. כל הכבוד על האחריות", "praise"),
    ("גנבתם לי את הלב שלי שיק! השמלה מושלמת והמוכרת הייתה מקסימה", "praise"),
]


def main(argv: list[str] | None = None) -> int:
    return run_probes(PROBES, sys.argv[1:] if argv is None else argv, configured_classifier)


if __name__ == "__main__":
    sys.exit(main())
