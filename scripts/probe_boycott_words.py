"""How the committed classifier tells a call to boycott from other uses of the word (the project's probes).

A post that says "boycott", "חרם", "להחרים", "מחרימים" or "#Boycott..." is not always a call to boycott the
business. This script probes both sides. 30 probes are real calls: imperatives, "everyone"/"כולם", "share"/
"שתפו", "until they ..."/"עד ש...", #BoycottX and #חרם_על_X hashtags, a personal "I'm done" that urges others,
calls from an organiser, and calls over a plain service or price grievance, written short and long, with
typos, slang, emoji, missing punctuation, Hebrew without final letters and transliteration. 40 are
look-alikes that use the word but are not calls (news about a boycott elsewhere, history, the biblical and
religious חרם, להחרים = confiscate, a kids' חרם in class or at camp, a boycott of something unrelated, a
boycott that is over, one the writer refuses, only reports or sincerely asks about, one person's decision
not to return, a business thanking customers who stayed, jokes), labelled as LABELING.md says. 10 are plain
complaints with no boycott word, some of them "never again", to check that anger alone is not read as a call.
Half the probes are Hebrew (a few mixed with English), half English.
Every post and every business and person name is invented for this script, by a writer separate from the
authors of the training data and without reading it; these probes are never trained on.
Besides the primary labels it prints how the triage sees the calls: the posts whose boycott score reaches 0.5
(what sends a post to legal), with precision, recall and F1.
Usage: .venv/bin/python scripts/probe_boycott_words.py [HEAD_DIR]   (default: the committed model; a HEAD_DIR
written by `repmon train --output` or scripts/try_candidates.sh probes that model instead)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.evaluation import run_probes
from monitor.wiring import configured_classifier

# (post, what LABELING.md says it is; the primary label where a call also carries a complaint)
PROBES = [
    # calls to boycott, English
    ("Boycott Sundial Pizza. Seriously.", "boycott"),
    ("4th cancelled flight this year and not even a voucher. #BoycottKestrelair", "boycott"),
    (
        "Don't buy from Greenlark Market. Prices are up 30% since March and half the shelves are empty "
        "anyway.",
        "boycott",
    ),
    (
        "Everyone on Wavvo Internet: cancel your plan until they fix the outages on the north side. "
        "3 weeks of dead wifi. Share this.",
        "boycott",
    ),
    (
        "I'm done with Corbel Coffee and honestly you should be too. $9 for a lukewarm latte and a 20 "
        "minute wait.",
        "boycott",
    ),
    (
        "Hi neighbours, Dana from the Riverside Tenants' Group here. Starting Monday we're asking every "
        "household on the block to stop ordering from Fennelwood Kitchen until they bring back the "
        "late-night delivery they cut without notice. Please share this in your building chats. One week, "
        "all of us, and they'll notice.",
        "boycott",
    ),
    (
        "dont evr buy frm Halvard Motors, 3 wks for an oil change n they still didnt call back. boycot em",
        "boycott",
    ),
    (
        "nah fr skip Driftwell Shoes 💀 soles fell off in 2 weeks. not another cent from us fam 🚫👟",
        "boycott",
    ),
    (
        "stop renting from Nexora Rentals the car smelled like an ashtray the line took 2 hours and nobody "
        "even said sorry spread the word",
        "boycott",
    ),
    (
        "I've been a member at IronPeak Gym for six years and I never post reviews. But closing the pool "
        "for 'maintenance' for four months while charging full price, with zero notice, is too much. "
        "I'm cancelling today and I'm asking every member who reads this to do the same until they "
        "freeze the fees. Maybe then someone will answer an email.",
        "boycott",
    ),
    (
        "Not one more order from Crumbleton Cookies until they bring back the old recipe. Tell your "
        "friends 🍪 #BoycottCrumbleton",
        "boycott",
    ),
    (
        "Uninstall. Don't preorder. Don't buy skins. Quarrystone Games only listens when the money stops, "
        "so let's stop it until they pull the pay-to-win update.",
        "boycott",
    ),
    (
        "Planning a trip to Eilat? Skip the Saltmarsh Hotel. Room wasn't ready till 6pm and the pool was "
        "closed all week. Book literally anywhere else and tell everyone you know.",
        "boycott",
    ),
    (
        "Everyone with a Vantor Bank account: move your money. A $35 fee to close a savings account?? "
        "They only listen when accounts walk out the door.",
        "boycott",
    ),
    (
        "RT if you're not buying Mossgrove this season 🙅‍♀️ the new sizing is a joke and returns cost "
        "$12 now #BoycottMossgrove",
        "boycott",
    ),
    # look-alikes that use the word, English
    (
        "Saw on the news that truckers up north are boycotting the Redstone tollway over the new fees. "
        "@CitylineRail is the 8:15 running on time today?",
        "neutral",
    ),
    (
        "My grandpa says the whole town boycotted the old Hartwell cannery back in '74 over the layoffs. "
        "Wild that the building is your brewery now. Do you do tours on Saturdays, Foundry Lane?",
        "neutral",
    ),
    (
        "The players' union is boycotting tonight's awards gala, so the Larkmoor ballroom will be half "
        "empty 😬 is the bar still open to non-guests?",
        "neutral",
    ),
    (
        "our book club is officially boycotting the reality show finale 😂 anyway @Bramblewick do you have "
        "the new Odette Vane novel in paperback yet?",
        "neutral",
    ),
    (
        "ok the boycott's over, I'm back 🙌 Sundial brought back the $10 lunch slice and it's as good as I "
        "remembered",
        "praise",
    ),
    (
        "Now that the Wavvo boycott has ended, does anyone know if they kept the new pricing or went back "
        "to the old plans?",
        "neutral",
    ),
    (
        "Not joining the Corbel Coffee boycott, sorry. They've remembered my order every morning for 5 "
        "years and the staff are lovely.",
        "praise",
    ),
    (
        "Everyone keeps asking me to sign on to the Greenlark boycott. I'll pass, I don't really do "
        "boycotts. I'll make up my own mind.",
        "neutral",
    ),
    ("half my timeline is suddenly calling to boycott Halvard Motors?? did I miss something", "neutral"),
    (
        "#BoycottKestrelair is trending again. what happened this time? I'm flying with them next week",
        "neutral",
    ),
    (
        "genuine question, should I boycott Quarrystone Games? I keep seeing angry posts but no one "
        "explains what actually happened",
        "neutral",
    ),
    (
        "I'm personally boycotting Driftwell Shoes after my second pair split at the sole. Not telling "
        "anyone else what to do, I'm just done.",
        "complaint",
    ),
    (
        "My own private boycott of Vantor Bank starts today. Closing my account after the third surprise "
        "fee this year.",
        "complaint",
    ),
    (
        "From all of us at Maple & Rye: thank you to everyone who kept coming in during the boycott last "
        "spring. We heard you, we fixed the hours, and we're still here because of you ❤️",
        "praise",
    ),
    (
        "We've seen the posts calling for a boycott. To be clear: the price change applies only to large "
        "catering orders, regular menu prices are unchanged. Questions? DM us. – Fennelwood Kitchen",
        "neutral",
    ),
    (
        "my cat has officially boycotted your new salmon recipe 😹 sniffed it, looked at me, walked away. "
        "any chance the old one comes back @Whiskerly?",
        "complaint",
    ),
    (
        "my 4yo is boycotting all vegetables this week EXCEPT your carrot muffins. Sproutling Bakery you're "
        "a lifesaver",
        "praise",
    ),
    (
        "some girls at camp were 'boycotting' my daughter and the counselors at Camp Tallowpine sat them "
        "all down and handled it so kindly. thank you 💛",
        "praise",
    ),
    ("I'm boycotting Mondays on principle. also does the Elm St branch open at 7 or 8?", "neutral"),
    (
        "half my class has been boycotting the cafeteria since Lunchwell took over, and honestly I get it, "
        "the pasta is gluey and cold every day",
        "complaint",
    ),
    # plain complaints without a boycott word, English
    (
        "Never eating at Copperpan Diner again. cold eggs, 40 min wait and the waitress sighed every time "
        "we asked for something.",
        "complaint",
    ),
    (
        "@ZipboxCouriers tracking says delivered, nothing at my door, 3rd time this month. where is my "
        "package??",
        "complaint",
    ),
    ("Orbitelle billed me roaming for a trip I took last year? on hold 55 min now. unreal", "complaint"),
    (
        "Room at the Larkmoor smelled like smoke and the AC died at 2am. Front desk offered us... a fan. "
        "Won't be staying there again.",
        "complaint",
    ),
    (
        "Lumenflix raised prices AGAIN and now there are ads on the 'premium' plan. what exactly am I "
        "paying for",
        "complaint",
    ),
    # calls to boycott, Hebrew
    ("חרם על קפה תאנה. נקודה.", "boycott"),
    ("טיסה שלישית שמבוטלת לי השנה ואפילו לא שובר. #חרם_על_אוויר_כחול", "boycott"),
    ("אל תקנו במרכול דקלים. הכל התייקר בעשרים אחוז מאז החורף והקופות חצי סגורות כל ערב", "boycott"),
    (
        "תחרימו את פיצה נופים עד שיחזירו משלוח חינם לשכונה. 25 שקל דמי משלוח על פיצה אחת זה פשוט הזוי",
        "boycott",
    ),
    (
        "כולם להחרים את סטרימבו ולבטל מנוי עד שיורידו את הפרסומות באמצע הסרט!! 50 שקל בחודש בשביל זה?? שתפו",
        "boycott",
    ),
    (
        "סיימתי עם מאפיית השקד. 28 שקל ללחם שמתייבש עד הערב, והמוכרת עוד מתנהגת כאילו עשתה לי טובה. "
        "ממליצה לכל השכונה לעשות כמוני",
        "boycott",
    ),
    (
        "הודעה מוועד ההורים של בית ספר אלונים: מחירי התלבושת האחידה ב'מדי-כיף' עלו השנה ב-40%, ופנינו "
        "אליהם שלוש פעמים בלי תשובה. לכן אנחנו קוראים לכל ההורים לא לקנות אצלם את התלבושת לשנה הבאה עד "
        "שיחזרו למחירים של השנה שעברה. חולצה לבנה פשוטה עם סמל מודבק תעבור גם היא. נא להעביר בקבוצות "
        "הכיתתיות 🙏",
        "boycott",
    ),
    (
        "תחרמו את גלפיט עד שיחזרו את השעורים של הבוקר!! לסגור את המכון בשבע ולגבות אותו מחיר?? דיי כבר באמת",
        "boycott",
    ),
    (
        "אל תקנו בצעצועי פומפי!! שלושימ שקל לחבילת קלפימ שעולה עשרה בכל מקומ אחר. חרמ עד שיורידו "
        "מחירימ, שתפו את כל ההורימ",
        "boycott",
    ),
    ("יאללה אחים חרם על חומוס בית הגפן 🚫🧆 55 שקל לצלחת חומוס?? עפתם על עצמכם. תפיצו", "boycott"),
    (
        "chevre tahrimu et Shawarma HaGiborim, 70 shekel la mana ze lo normali. al tiknu sham ad she "
        "yorido mechirim #חרם_על_שווארמה_הגיבורים",
        "boycott",
    ),
    (
        "guys אל תזמינו מ-Parcelo. שתי חבילות תקועות אצלם כבר שלושה שבועות והצ'אט עונה רק 'we apologize "
        "for the inconvenience' 🙄 #BoycottParcelo",
        "boycott",
    ),
    (
        "אני לקוחה של סלולנט כבר שמונה שנים. שלושה שבועות אין לי קליטה בבית, פתחתי ארבע קריאות שירות ואף "
        "אחד לא חזר אליי. מהיום אני אומרת לכל מי שאני מכירה לעבור חברה, ומבקשת מכל מי שקורא את זה לשתף. "
        "רק ככה אולי מישהו שם יתעורר.",
        "boycott",
    ),
    (
        "לא קונה יותר באופטיקה משקפת, ושכל העיר תדע למה: חודש וחצי חיכיתי למשקפיים ובסוף קיבלתי מספר לא נכון",
        "boycott",
    ),
    (
        "קייטנת שמש קטנה? לא לתת להם שקל. הילדים ישבו מול מסך כל היום, ו-1,800 שקל לשבועיים",
        "boycott",
    ),
    # look-alikes that use the word, Hebrew
    (
        "בחדשות אמרו שחקלאים בעמק מחרימים את מחלבת גבעון בגלל המחירים שהיא משלמת על החלב. אתם קונים "
        "מהם? מקווה שזה לא ישפיע על הגבינות שלכם",
        "neutral",
    ),
    (
        "סבתא שלי סיפרה שבשנות השישים כל הרחוב החרים את המכולת של מוטקה כי הוא הפסיק למכור בהקפה. איזה "
        "עולם אחר. ואגב, אתם פתוחים מחר בשבע?",
        "neutral",
    ),
    (
        "יש לכם פירוש לספר יהושע בשפה פשוטה? אני עוזרת לבת שלי בעבודה על החרם ביריחו ולא מוצאת כלום "
        "שמתאים לכיתה ו'",
        "neutral",
    ),
    (
        "היה שיעור מרתק בבית הכנסת על דיני חרם ונידוי בקהילות של פעם, ואחרי זה קינחנו בקפה מרווה. עוגת "
        "הגבינה שלכם שווה כל שקל",
        "praise",
    ),
    ("שוטר החרים לי את הקורקינט כי נסעתי על המדרכה 🤦‍♂️ יש לכם במקרה קורקינטים יד שנייה?", "neutral"),
    (
        "עדכון ללקוחות: משלוח הקסדות שהזמנו נתקע בנמל והמכס החרים אותו לבדיקת תקן. ההזמנות המוקדמות "
        "יתעכבו בשבועיים, ומי שמעדיף יקבל את הכסף בחזרה. צוות אופני העמק",
        "neutral",
    ),
    (
        "רשות המסים החרימה לי את האוטו בגלל חוב ישן, אז אני צריך לבטל את הטיפול אצלכם ביום חמישי. אפשר "
        "לדחות לחודש הבא?",
        "neutral",
    ),
    (
        "הבת שלי בחרם בכיתה כבר חודש 😔 מחפשת לה חוג שתכיר בו ילדות מחוץ לבית הספר. יש אצלכם מקום בחוג "
        "הקרמיקה לכיתה ד'?",
        "neutral",
    ),
    (
        "רוצה להגיד תודה ענקית למאמן יובל מהג'ודו של מועדון סמוראי קטן. הבן שלי יצא מהחרם בכיתה בזכות "
        "הביטחון שהוא קיבל אצלכם ❤️",
        "praise",
    ),
    (
        "הבן שלי היה בחרם בקייטנת הדולפינים שבועיים והמדריכים אמרו שזה 'סתם ריב של ילדים'. ביקשתי לדבר "
        "עם הרכזת ואף אחד לא חזר אליי",
        "complaint",
    ),
    (
        "האופוזיציה מחרימה את הטקס בכיכר הערב, מישהו יודע אם הרחוב ליד הסניף יהיה סגור? רציתי לאסוף הזמנה",
        "neutral",
    ),
    (
        "החרם נגמר מבחינתי 😅 חזרתי לשווארמה הגיבורים והמנה הייתה מעולה כמו פעם. הורדתם מחירים, כל הכבוד",
        "praise",
    ),
    ("אני לא מצטרף לחרם על פיצה נופים. 15 שנה אני מזמין מהם ותמיד יחס מעולה ופיצה חמה", "praise"),
    (
        "רואה שכולם פה קוראים להחרים את סטרימבו. אני לא בעניין של חרמות, נשארת עם המנוי ונראה מה יהיה",
        "neutral",
    ),
    ("יש בקבוצה של השכונה קריאות להחרים את מרכול דקלים, מישהו יודע מה קרה שם?", "neutral"),
    ("ראיתי ש-#חרם_על_אוויר_כחול בטרנדים, what happened? מישהו טס איתם השבוע?", "neutral"),
    (
        "שואלת ברצינות: כדאי להחרים את גלפיט? שמעתי שמשהו קרה עם המנויים אבל לא הבנתי מה. יש לי מנוי עד "
        "דצמבר",
        "neutral",
    ),
    (
        "אני באופן אישי מחרימה את קפה תאנה מהיום, הקפה היה קר פעמיים ברצף. לא מבקשת מאף אחד להצטרף, פשוט "
        "אני לא חוזרת",
        "complaint",
    ),
    (
        "תודה לכל מי שנשאר איתנו בחודשים של החרם. קראנו כל תגובה, הורדנו מחירים והחזרנו את המשלוח החינם. "
        "אתם הסיבה שאנחנו עדיין פה 🙏 צוות פיצה נופים",
        "praise",
    ),
    ("בעלי הכריז חרם על המטבח עד שנקנה מדיח חדש 😅 יש לכם מבצע על מדיחים החודש?", "neutral"),
    # plain complaints without a boycott word, Hebrew
    ("לא חוזרת למספרת רונית. ביקשתי גוונים עדינים ויצאתי כתומה, ועוד 600 שקל", "complaint"),
    ("ביטוח אלמוג, שלושה שבועות אני מחכה לשמאי שיבוא לראות את הרכב. כל פעם 'מחר'. נמאס", "complaint"),
    (
        "הזמנו מגשי אירוח מקייטרינג מגש הזהב לבר מצווה, הגיעו שעתיים באיחור וחצי מהאוכל היה קר. בחיים לא עוד",
        "complaint",
    ),
    ("רשתנט, אין אינטרנט מאתמול בערב ובמוקד אומרים 'תקלה אזורית'. ככה כל שבוע", "complaint"),
    ("המונית של קווי ענבל לא הגיעה בכלל. 40 דקות בגשם עם שני ילדים ואף אחד לא עונה בטלפון", "complaint"),
]


def main(argv: list[str] | None = None) -> int:
    return run_probes(PROBES, sys.argv[1:] if argv is None else argv, configured_classifier, focus="boycott")


if __name__ == "__main__":
    sys.exit(main())
