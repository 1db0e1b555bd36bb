"""A few posts written by this project's authors, shown by `repmon demo`."""

DEMO_POSTS: tuple[str, ...] = (
    "ההזמנה הגיעה אחרי שעה וחצי והפיצה הייתה קרה לגמרי. ממש מאכזב 😞",
    "They double-charged my card on purpose and the manager admitted they do it to everyone. Fraud.",
    "אל תקנו בסניף הזה!!! תעבירו הלאה שאף אחד לא ייתן להם פרנסה #חרם",
    "Huge thanks to the team at the Haifa branch, fixed my phone in 20 minutes 🙏",
    "שאלה: אתם פתוחים בשישי עד איזה שעה?",
    "Got an SMS with a link 'from your bank' to verify my account - is this a scam or really from you?",
    "מוכרים שם בשר שפג תוקפו ומדביקים מדבקות חדשות, ראיתי במו עיניי. תחרימו אותם",
    "the prices at this place are daylight robbery, worst service I've had in years",
    "המשטרה החרימה אתמול סחורה מזויפת בנמל אשדוד",
    "Wow, third time this month the delivery is late. Amazing service guys 👏👏",
)
