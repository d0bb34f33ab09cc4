"""Demo data: past tickets the typing learns from, and knowledge-base articles; seeded by chatops/support/demo.py.

``HISTORY`` holds resolved tickets as (type, summary, details, staff_answer), interleaved across the five
ticket types (internal_task, internal_ops_problem, external_ops_problem, external_dev_inquiry,
external_dev_problem). ``ARTICLES`` holds knowledge-base articles as dicts with title, body (simple
markdown), tags, ticket_types and tiers ("" for everyone, "premium" for partner-only). All ids, names,
URLs and numbers are made up.
"""

HISTORY: list[tuple[str, str, str, str]] = [
    (
        'external_dev_inquiry',
        'Does the .NET SDK support async?',
        'Using Payments.NET in an ASP.NET Core app, is there an async version of CreatePayment?',
        'Yes, every call has an async version, e.g. await client.Payments.CreateAsync(options, cancellationToken). Register PaymentsClient as a singleton so the HttpClient is reused.',
    ),
    (
        'internal_task',
        'Enable multi-currency settlement for acct_6250',
        'They sell in EUR and GBP and want each settled in its own currency instead of converted to EUR.',
        'Turned on multi-currency settlement for acct_6250 and linked their GBP bank account. GBP payments settle in GBP from today.',
    ),
    (
        'external_dev_problem',
        "test key works but live key says 'account not activated'",
        'Moved to production, sk_live key returns 403 account_inactive on every call',
        "Your live account hasn't finished activation because the bank account isn't verified. Finish it in Settings > Verification and the live key will work straight away.",
    ),
    (
        'external_dev_inquiry',
        'Java SDK - is the client thread safe / pooled?',
        'Should we create a new PaymentsClient per request in our Spring service or share one?',
        'Share one: PaymentsClient is thread-safe and keeps an OkHttp connection pool. Create it once as a Spring bean; making one per request wastes connections.',
    ),
    (
        'internal_task',
        'Switch acct_8810 to the Growth pricing plan',
        'Signed the upgrade contract yesterday, effective the 1st of next month.',
        "Scheduled acct_8810's move to the Growth plan for the 1st. Their current plan runs until then and they'll see the new rates on next month's invoice.",
    ),
    (
        'internal_ops_problem',
        'Risk rule blocking all payouts over $5k since deploy',
        "Since this morning's deploy every payout above 5k is going to manual review. Pretty sure that's not intended.",
        "The new velocity rule had its threshold in dollars instead of cents. It's corrected, and the 58 payouts held in review were released into the afternoon run.",
    ),
    (
        'external_dev_problem',
        'iOS SDK crashes on iOS 17',
        'EXC_BAD_ACCESS in PaymentSheet.present() on iOS 17.1, SDK 5.3.0. Fine on iOS 16.',
        "This is a known crash when presenting from a view controller that's being dismissed. 5.3.2 fixes it; until then, present once the dismiss completion handler has run.",
    ),
    (
        'internal_ops_problem',
        'Partner commission report all zeros for October',
        "Every partner shows $0.00 commission in the Oct report, pretty sure that's not right lol",
        'The report was reading the old commission table that the pricing migration retired. I pointed it at the new table and regenerated October; the totals match the finance estimate.',
    ),
    (
        'external_ops_problem',
        'Got a chargeback notice, what do I do??',
        'Just got an email saying a customer disputed a $180 payment (dp_4471). Is the money gone? never had one before',
        'The $180 is held while the dispute is open. Upload proof of delivery and any customer messages in Dashboard > Disputes > dp_4471 before the deadline on the 21st, and the bank decides within about 60-75 days.',
    ),
    (
        'external_dev_inquiry',
        'Can sandbox simulate a chargeback?',
        'We want to test our dispute handling code. is there a test card that creates a dispute?',
        "Yes: pay with 4000 0000 0000 0259 in prelive and a dispute.created event fires about a minute later. Submit evidence with the text 'winning_evidence' and it resolves as won.",
    ),
    (
        'external_dev_problem',
        'OAuth token refresh fails with invalid_grant',
        'refresh_token calls to /oauth/token started returning invalid_grant for a bunch of merchants today',
        'Those merchants disconnected your app or their owners changed, which revokes refresh tokens. Ask them to go through the authorize flow again; the other tokens are fine.',
    ),
    (
        'internal_ops_problem',
        'Outbound webhook backlog growing',
        'Our webhook delivery queue is at 90k messages and rising, some merchants say webhooks are hours late.',
        'One merchant endpoint was taking 30s per request and blocking a worker pool. I moved that endpoint to the slow-consumer pool and the backlog drained in about 40 minutes.',
    ),
    (
        'internal_task',
        'Enable 3DS enforcement for acct_6102',
        "They're getting hammered with card testing. Risk wants 3-D Secure forced on all their card payments for now.",
        "Turned on 'require 3DS on all card payments' for acct_6102. Their payments will now always go through a challenge or frictionless check.",
    ),
    (
        'external_ops_problem',
        'Dispute lost even though I sent evidence',
        'We uploaded tracking and signature for dp_3022 and still lost?? how',
        "The cardholder disputed as 'product not as described', so tracking alone didn't answer it. For that reason, send the product description and return policy they agreed to. This one is final, but that's what helps next time.",
    ),
    (
        'external_dev_inquiry',
        'installing iOS SDK with Swift Package Manager?',
        "is the ios sdk on SPM or only cocoapods? we're dropping pods",
        "It's on SPM: add https://github.com/example-payments/payments-ios and pick 5.x. CocoaPods still works too, but new releases come to SPM first.",
    ),
    (
        'external_ops_problem',
        'credit card refused every single time on checkout',
        "my credit card just gets refused on your checkout page, ive tried 3 times now, it just says 'declined'",
        "Your bank returned a generic 'do not honor', which means they refused it without saying why. Call the number on the back of the card to approve the payment, or use another card; retrying the same card won't help until the bank approves it.",
    ),
    (
        'external_dev_inquiry',
        'metadata field limits?',
        'How many keys can I put in metadata and how long can values be?',
        "Up to 50 keys, each key up to 40 characters and each value up to 500 characters, strings only. Metadata is returned on the object and in webhooks, but you can't search on it.",
    ),
    (
        'external_dev_problem',
        'webhook TLS handshake failing',
        "Our webhook logs in the dashboard say 'TLS handshake failed' for all deliveries since we renewed our certificate",
        'Your new certificate is served without the intermediate certificate. Serve the full chain (leaf + intermediate) and deliveries will work again.',
    ),
    (
        'internal_ops_problem',
        'Was batch B-3010 processed twice?',
        "Seeing B-3010 in the completed list twice with different timestamps. please tell me we didn't pay people twice",
        "No double payment: the second entry is a status-only re-run after a monitoring timeout and it didn't send any money. I confirmed with the bank file log that only one file went out.",
    ),
    (
        'external_dev_problem',
        'CORS error calling API from browser',
        "Access to fetch at 'https://api.example-payments.com/v2/payments' from origin ... blocked by CORS policy",
        "That's on purpose: secret-key endpoints can't be called from a browser. Create payments from your server, and in the browser use only hosted fields with your pk_ key.",
    ),
    (
        'internal_ops_problem',
        'Dunning emails went out twice to some merchants',
        "Got 5 complaints this morning that people got the 'payment failed' email twice, both at 08:00.",
        'The dunning worker ran on two nodes after the deploy. I disabled the extra one and checked the logs: 312 merchants got a duplicate, and we sent them a short apology.',
    ),
    (
        'internal_task',
        'Add a second admin user to acct_1180',
        'Owner is on parental leave and asked us to add her finance lead (j.ortiz@harbourgoods.com) as admin. She emailed the request from the owner address.',
        'Invited j.ortiz@harbourgoods.com to acct_1180 with the Admin role. The invite expires in 72h; the owner got a copy of the notification.',
    ),
    (
        'external_dev_inquiry',
        'difference between sandbox and live keys?',
        'Got 4 keys in the dashboard, pk_test, sk_test, pk_live, sk_live. which goes where? new to this',
        'The _test keys only work in sandbox/prelive and never move real money; the _live keys hit production. pk_ keys are publishable and safe in your app or browser; sk_ keys are secret and must stay on your server.',
    ),
    (
        'internal_task',
        "Add IP allowlist for acct_7314's webhook receiver",
        "Merchant's firewall team needs our outbound IPs documented and they asked us to confirm their endpoint is set to only accept from those.",
        'Sent them the published outbound webhook IP ranges and confirmed their endpoint config on acct_7314. Nothing to change on our side - the allowlisting is done on their firewall.',
    ),
    (
        'external_dev_problem',
        'Customers double charged despite idempotency key',
        'We send Idempotency-Key but still saw two charges for order 45521. API bug?',
        "The two requests had different keys: your retry made a new UUID instead of reusing the first one. Create the key once per order and keep it, and we'll dedupe for 24h.",
    ),
    (
        'external_ops_problem',
        'my card keeps getting declined',
        "Trying to pay invoice INV-20931 and my visa gets declined every time, my bank says there's no block on their side?? what gives",
        "Your bank answered 'authentication required' and the 3-D Secure popup timed out. Please try again and finish the verification step in your banking app; if it's declined again, try another card.",
    ),
    (
        'external_dev_problem',
        'pip install of the python sdk fails',
        "pip install example-payments==9.1.0 fails with 'No matching distribution found' on python 3.7",
        '9.x needs Python 3.8 or newer. Either upgrade Python or pin example-payments<9, which still supports 3.7 until March.',
    ),
    (
        'external_dev_inquiry',
        'How does OAuth for connected accounts work?',
        "We're a platform partner, how do we get access to our merchants' accounts without them giving us their keys?",
        'Send merchants to /oauth/authorize with your client_id and scope=read_write. You swap the returned code for an access token at /oauth/token and send Account: acct_xxx on calls made for them.',
    ),
    (
        'internal_ops_problem',
        'Interchange fees look off for Amex',
        'The interchange++ merchants are seeing Amex fees about double what they should be this week.',
        'The new Amex fee table was loaded with a duplicated row, so fees were counted twice. I fixed the table and queued a fee correction for the affected 140 merchants on their next invoice.',
    ),
    (
        'internal_task',
        'Extend sandbox access for dev_1207 - expired',
        "Partner dev's sandbox expired after 90 days of no activity, they're starting a new integration and need it back.",
        "Reactivated dev_1207's sandbox and extended it another 90 days. Old test keys work again.",
    ),
    (
        'external_dev_inquiry',
        'Can I filter list endpoints by created date?',
        'Need all payments from last month via API, is there a date filter?',
        'Yes: use created[gte] and created[lt] with unix timestamps, e.g. GET /v2/payments?created[gte]=1727740800&created[lt]=1730419200&limit=100, and page with starting_after.',
    ),
    (
        'internal_ops_problem',
        'Recon mismatch for 12 Oct, off by EUR 1,204.50',
        "Ledger vs bank statement for 12 Oct differ by exactly EUR 1,204.50, can't figure out which txns.",
        "The difference is three refunds the bank booked on the 12th that we posted on the 13th. It's a timing difference and it clears in the 13 Oct recon; I added a note to the recon sheet.",
    ),
    (
        'external_dev_inquiry',
        'Are amounts in cents or decimals?',
        'Do I send 10.50 or 1050 for ten fifty euro?',
        "Amounts are integers in the currency's minor unit, so 1050 with currency=eur. Zero-decimal currencies like JPY use the whole amount (1000 = ¥1000).",
    ),
    (
        'external_dev_problem',
        '3DS redirect loop on mobile web',
        'After the bank challenge, customers land back on checkout and get challenged again forever',
        'Your return_url page creates a new payment when it loads, which starts a new 3DS. On return, retrieve the existing payment with the id in the query string and check its status instead.',
    ),
    (
        'internal_ops_problem',
        "why hasn't the settlement for acct_7790 hit their balance",
        "merchant had card volume yesterday but available balance didn't go up this morning, other merchants look fine",
        "acct_7790 is on T+2 settlement because they're new, not T+1. Yesterday's volume becomes available tomorrow, and I explained this to the merchant.",
    ),
    (
        'external_dev_problem',
        'invalid_device_id error on payments',
        'After adding setDeviceId we get 400 invalid_device_id on some devices',
        "You're passing Settings.Secure.ANDROID_ID, which can be empty or a fixed value on some devices. Use DeviceId.get(context) from the SDK, which always returns a valid per-install id.",
    ),
    (
        'external_ops_problem',
        'Unknown transaction on my statement',
        "I see a charge 'PAYHUB*ORBIT' for 19.99, no idea what it is",
        "That's a subscription to Orbit Studio started on the 1st with your email. If you don't recognise it, contact them at the address on the receipt we've emailed you, or dispute it with your bank.",
    ),
    (
        'external_dev_inquiry',
        'How to test webhooks locally?',
        "Our dev machines aren't publicly reachable, how do people test callbacks during development?",
        'Use the CLI: `payments listen --forward-to localhost:3000/webhooks` forwards prelive events to your machine and prints a temporary signing secret. `payments trigger payment.succeeded` sends a test event.',
    ),
    (
        'internal_task',
        'pls remove the dup seller fee on ord 91004',
        'seller got charged the fee twice on one order because of a retry on our side. refund the second one?',
        'Reversed the duplicate seller fee on order 91004 ($2.10) and put a note on the order.',
    ),
    (
        'external_dev_inquiry',
        "What's the way to use idempotency keys?",
        "Our job retries POST /v2/payments on timeout and we're scared of double charging. do you support idempotency?",
        'Yes: send an Idempotency-Key header (a UUID v4) on every POST, and reuse the same key when you retry. We store the result for 24h, so a retry with the same key and body returns the original response instead of charging again.',
    ),
    (
        'internal_task',
        'Remove seller fee on order 88123',
        'Seller complained the seller fee got applied to a promo order #88123, mgmt approved waiving it. can someone zero it out?',
        "Waived the seller fee on order 88123 and credited $4.35 back to the seller's balance; it'll show as 'fee adjustment' on their next statement.",
    ),
    (
        'external_dev_problem',
        'device id not showing on payments in dashboard',
        'we call setDeviceId on android but the payments in dashboard show device: none',
        "setDeviceId is called after confirmPayment in your flow, so the first payment goes out without it. Call it right after Payments.init; the id is only attached to payments made after it's set.",
    ),
    (
        'internal_task',
        'Unlock dashboard login for user u_2219',
        "User locked themselves out after too many wrong passwords and the reset mail isn't arriving (they checked spam).",
        'Cleared the lockout on u_2219 and resent the reset email. It was bouncing because of a typo in their address (gmial.com), which I fixed with them on the call.',
    ),
    (
        'external_dev_problem',
        'POST /v2/refunds returning 500 - did something change?',
        'Since about 14:00 UTC today every refund call gives us HTTP 500 {"type":"api_error"}. Was there a deploy on your side?',
        'Yes, a deploy at 13:52 UTC broke refunds for payments with metadata over 20 keys. It was rolled back at 15:10; please retry the failed refunds with the same Idempotency-Key.',
    ),
    (
        'external_ops_problem',
        'Amex always declines on my store',
        'Every Amex card gets rejected on checkout, visa/mc fine.',
        "Amex isn't turned on for your account yet. I've enabled it, and Amex payments should work within an hour.",
    ),
    (
        'external_dev_inquiry',
        'which card numbers work for testing on prelive?',
        "We're starting QA on prelive next week, which card numbers do we use for success / decline / 3ds?",
        'Use 4242 4242 4242 4242 for success, 4000 0000 0000 0002 for a generic decline, 4000 0000 0000 3220 for 3-D Secure and 4000 0000 0000 9995 for insufficient funds, with any future expiry and any CVC. They only work with sk_test_ keys against https://api.prelive.example-payments.com/v2.',
    ),
    (
        'external_ops_problem',
        'Bank says our payout was returned - R03',
        'Our bank says a payout was returned with code R03, what does that mean',
        "R03 means the account number didn't match any account at the bank. The money is back in your balance; check the account and routing numbers in Settings and we'll resend the payout.",
    ),
    (
        'external_dev_problem',
        '401 Unauthorized even with a valid key',
        'Getting 401 invalid_api_key on every request in prelive, key copied straight from dashboard: sk_test_51Hx...',
        "You're sending the sk_test_ key to the live host api.example-payments.com. Test keys only work on https://api.prelive.example-payments.com/v2.",
    ),
    (
        'external_dev_inquiry',
        'How do we rotate the webhook signing secret?',
        'Our secret was in a log file, how do I roll it without losing events?',
        'Click Roll secret on the endpoint and choose an overlap (up to 24h). During the overlap we sign with both secrets, so the header has two v1 values; deploy the new secret, then let the old one expire.',
    ),
    (
        'external_dev_problem',
        '422 when creating customer with unicode name',
        "POST /v2/customers with name='Zoë Müller' gives 422 unprocessable_entity, ascii names fine",
        'Your client sends the body as Latin-1 without a charset. Send Content-Type: application/x-www-form-urlencoded; charset=utf-8 (or JSON) with UTF-8 bytes; the official SDKs already do this.',
    ),
    (
        'external_dev_inquiry',
        'What IPs do webhooks come from?',
        'security wants to allowlist your webhook source IPs on our firewall',
        "The current outbound ranges are listed at docs.example-payments.com/ips, and there's a JSON version you can poll. Still verify the signature header; allowlisting alone isn't enough.",
    ),
    (
        'external_ops_problem',
        'card rejected at checkout but works everywhere else',
        "Customer says their Mastercard is refused on our store, but works on Amazon etc. What's the deal",
        "The issuer declined it with 'suspected fraud' because the billing postcode didn't match. Ask the customer to check their billing address, or to approve the payment in their banking app and retry.",
    ),
    (
        'external_dev_problem',
        'timestamps in response are off by hours',
        'created field seems to be in local time not UTC? our dashboards show payments in the future',
        "created is a unix timestamp in seconds, always UTC. Your code reads it as milliseconds and then applies a local offset; multiply by 1000 before new Date() and it'll line up.",
    ),
    (
        'internal_ops_problem',
        'Funds not disbursed to acct_4478 - can you check?',
        'Seller acct_4478 says $3,210 has been sitting in balance and nothing was sent out in 10 days, payouts look enabled on our side.',
        'The payouts were held because bank verification expired (the micro-deposits were never confirmed). I re-triggered verification; once they confirm, the $3,210 goes out in the next run.',
    ),
    (
        'external_ops_problem',
        'account locked after password reset',
        'I reset my password and now it says my account is locked and to contact support. I need to run payroll today',
        "The lock came from several failed logins right before the reset. I've unlocked your account; log in with the new password, and you'll be asked to confirm a code sent to your email.",
    ),
    (
        'internal_task',
        'Export failed transactions for last 7 days, all EU merchants',
        'Risk team needs all failed/declined transactions for EU merchants from the last week, with decline codes, for their monthly review.',
        "Ran the export: 18,204 failed transactions with decline codes and merchant ids for the last 7 days, EU entity only. It's in the risk team's shared drive as failed_eu_week42.csv.",
    ),
    (
        'external_dev_inquiry',
        'where can I find the docs for refunds?',
        "I'm looking for the api reference for refunds, the search on your docs site isn't finding it",
        "It's under API reference > Payments > Refunds (docs.example-payments.com/api/refunds). That page has create, retrieve and list, and the refund.* webhook events.",
    ),
    (
        'external_dev_problem',
        'Android release build crashes, debug works',
        'Only our minified release APK crashes with NoSuchMethodException in the payments sdk',
        'R8 is stripping SDK classes that are loaded by reflection. Add -keep class com.examplepayments.** { *; }, or upgrade to 3.4.0+, which includes its own consumer ProGuard rules.',
    ),
    (
        'internal_task',
        'Need export of all refunds for acct_2231 for Q3',
        'Their accountant wants every refund from July 1 to Sep 30 as CSV incl. original order ids. Can support pull that?',
        'Exported 412 refunds for acct_2231 (Jul 1 - Sep 30) with original order ids and sent the CSV to the requester via secure link, valid for 7 days.',
    ),
    (
        'external_dev_problem',
        'test cards not working in prelive, everything declines',
        "even 4242 4242 4242 4242 gets declined with card_declined on prelive, what's wrong",
        "Your prelive account had the 'block all' risk rule left over from a test. I removed it, and 4242 4242 4242 4242 succeeds again.",
    ),
    (
        'internal_task',
        'Update payout bank details for acct_3302 before Friday',
        "Seller sent the signed bank change form, new IBAN ends in ...0130 00. Need it swapped before Friday's payout if at all possible.",
        "Updated and verified the new IBAN on acct_3302. Bank changes carry a 48h security hold, which ends Thursday, so Friday's payout goes to the new account.",
    ),
    (
        'external_dev_inquiry',
        "What's the prelive base URL?",
        'Our config has api.example-payments.com, what should it be for prelive testing?',
        'Use https://api.prelive.example-payments.com/v2 with your sk_test_ key. Live is https://api.example-payments.com/v2, and the paths are the same in both.',
    ),
    (
        'internal_ops_problem',
        'Monthly statements not generated for UK merchants',
        'UK merchants say they have no October statement in the dashboard. EU and US fine.',
        'The UK statement job failed on a template that was missing the new VAT footer. I fixed the template and regenerated them; 2,340 statements are available now.',
    ),
    (
        'external_dev_inquiry',
        'Which test card triggers 3-D Secure?',
        'Need to test our 3ds challenge handling in sandbox',
        "4000 0000 0000 3220 always asks for a 3-D Secure challenge in prelive; click 'Complete' or 'Fail' on the test page. 4000 0000 0000 3063 does a frictionless 3DS with no challenge.",
    ),
    (
        'external_ops_problem',
        "Can't withdraw my balance",
        "The 'withdraw' button is greyed out. have $860 available. acct_6090",
        'Withdrawals are off until your bank account is verified. Confirm the two small deposits we sent under Settings > Bank account and the button will work.',
    ),
    (
        'external_dev_inquiry',
        'What are restricted keys, and how do I scope one?',
        'Want a key for our reporting tool that can only read, not create charges',
        'Create a restricted key (rk_live_...) under Developers > API keys and set each resource to None, Read or Write. For reporting, give Read on payments, refunds and payouts only.',
    ),
    (
        'internal_ops_problem',
        'acct_5567 got paid out in the wrong currency',
        'Merchant expected EUR payout, got USD converted one into their EUR account, lost money on FX.',
        'Their settlement currency was reset to USD during a profile update. I set it back to EUR and credited the FX difference ($38.20) to their balance.',
    ),
    (
        'external_ops_problem',
        'Received less than expected in payout',
        'Payout was $1,820 but my sales were $2,100 for the period. where did the rest go',
        'The difference is $214 in refunds, a $15 chargeback fee and $51 in processing fees. You can see each line in the payout breakdown under Payouts > po_8812.',
    ),
    (
        'internal_task',
        'Refund the onboarding fee for acct_3048',
        'They were charged the $99 setup fee but were supposed to be on the partner promo which has no setup fee.',
        "Refunded the $99 onboarding fee on acct_3048 to the card it was charged on and tagged the account with the partner promo so it won't happen again.",
    ),
    (
        'external_ops_problem',
        'currency conversion looks wrong',
        "Customer paid 100 EUR and I got 101.97 USD?? the rate today is like 1.08 so where's the rest",
        "We converted at 1.08 and received 108.00 USD. Your plan's 1.5% cross-border fee, 2% conversion fee and 1.9% + 20c processing fee were then taken off, which leaves 101.97; the breakdown is on the payment page.",
    ),
    (
        'external_dev_problem',
        'expand parameter ignored',
        'passing expand=customer but still only getting the id',
        'The parameter is expand[] (an array), so send expand[]=customer. Plain expand=customer is ignored.',
    ),
    (
        'internal_ops_problem',
        "Settlement in report doesn't match dashboard for acct_3377",
        'Report says settled $12,400 for the 3rd, dashboard says $12,150. Merchant asking which is right.',
        'Both are correct: the dashboard subtracts a $250 chargeback debited the same day and the report shows gross. I explained the difference to the merchant with both line items.',
    ),
    (
        'external_dev_problem',
        'Webhook amount sometimes a string?',
        'Our Go struct unmarshal fails: json: cannot unmarshal string into field amount of type int64, only on payout.paid events',
        "Events created on API version 2022-01-01 still send payout amounts as strings. Upgrade your webhook endpoint's API version to 2023-10-01 or later and amounts are integers everywhere.",
    ),
    (
        'internal_ops_problem',
        'Scheduled reports not emailing',
        'Merchants set up weekly scheduled reports, none got theirs Monday. e.g. acct_4011',
        "The mail provider's API key was rotated without updating the report mailer. I fixed the config and re-sent Monday's reports, including acct_4011's.",
    ),
    (
        'external_dev_problem',
        'webhook retries are flooding our server',
        'We get the same event 8 times in a row, our endpoint is returning 200 though',
        'Your endpoint answers 200 but only after about 25 seconds, and we time out at 10s and retry. Return 2xx right away and do the work in a background job.',
    ),
    (
        'external_dev_inquiry',
        'How do I set up Apple Pay?',
        "we want apple pay on our web checkout, what's needed on our side",
        'Verify your domain under Settings > Apple Pay by hosting the file we give you at /.well-known/apple-developer-merchantid-domain-association. Then turn on applePay in hosted fields or the payment request button.',
    ),
    (
        'internal_task',
        'Rotate API keys for acct_8874, merchant thinks secret leaked',
        "Merchant says they accidentally pushed their live secret key to a public github repo. they can't log in to rotate it themselves atm.",
        'Rolled the live secret key on acct_8874 with immediate expiry of the old one and sent the new key to the verified owner email. Asked them to also check recent API logs.',
    ),
    (
        'external_ops_problem',
        'item_902 pending for way too long',
        'Order item_902 is in payment_pending for 3 days now, is it ever going to complete?',
        "item_902 was paid by SEPA Direct Debit, which takes up to 5 business days to confirm. It's on track and should switch to paid by Monday.",
    ),
    (
        'internal_ops_problem',
        'Queue depth alarm firing on payout-worker',
        'PagerDuty keeps paging for payout-worker queue depth > 10k, started ~1h ago.',
        'A bulk payout import from one platform created 14k payouts at once. The workers are handling it; I raised the alarm threshold for bulk windows and the queue was empty by 16:30.',
    ),
    (
        'external_ops_problem',
        'Transaction bounced with insufficient funds but I have money',
        'Tried to pay $75 and it says insufficient funds. I literally have $2k in that account.',
        "The decline came from your card's daily online spending limit, which your bank reports the same way as insufficient funds. Raise the limit in your banking app or call your bank, then retry.",
    ),
    (
        'internal_task',
        'can someone export the chargeback report for acct_3188 for last year',
        'merchant is being audited and needs every dispute from 2023 with outcome + amounts',
        "Exported 27 disputes for acct_3188 (Jan-Dec 2023) with outcomes and amounts and sent them to the merchant's verified email.",
    ),
    (
        'external_dev_inquiry',
        'how does 3ds work in the mobile sdk?',
        'Do we need to handle the 3-D Secure challenge screen ourselves in iOS/Android?',
        'No. Call confirmPayment and the SDK shows the challenge itself if the bank asks for one, then returns the final status in the callback. Pass a returnUrl for banks that redirect to their app.',
    ),
    (
        'external_ops_problem',
        "customer says their refund isn't showing",
        'Refunded order 30211 a week ago, buyer is angry, says nothing back on their card. did it actually go?',
        'Yes, the refund went to the card network on the 9th (ARN 74027364298112). Please give the buyer the ARN; their bank can use it to find the credit, which takes 5-10 business days.',
    ),
    (
        'external_dev_problem',
        'Go client panics with nil pointer',
        'panic: runtime error: invalid memory address or nil pointer dereference in payments.(*Client).do when response is 204',
        "The v2.3.0 Go client doesn't handle empty 204 bodies on DELETE. It's fixed in v2.3.1, so run go get github.com/example-payments/payments-go@v2.3.1.",
    ),
    (
        'internal_ops_problem',
        "acct_3480 payouts say 'paid' but merchant never got them",
        "3 payouts in the last week marked paid, merchant's bank has nothing. Amounts 410, 380, 522.",
        "The payouts went to an old account number after the bank-details update didn't save. I traced them with the bank, started a recall, and fixed the bank details on acct_3480.",
    ),
    (
        'external_dev_inquiry',
        'pagination on /v2/payments - how?',
        'I only get 10 results back from list payments, how do i get the rest',
        'Lists are cursor-paginated. Pass limit (up to 100) and starting_after=<id of the last item you got>, and keep going while the response has has_more=true.',
    ),
    (
        'internal_ops_problem',
        'Ledger entries missing for refunds on 18 Oct',
        "Refunds on the 18th show in the refunds table but there's no ledger entries, recon is off by those amounts",
        'The ledger consumer lagged and dropped events during the broker restart. I replayed the 18 Oct refund events and the ledger matches now.',
    ),
    (
        'external_dev_inquiry',
        'How to tokenize cards without PCI scope?',
        "We don't want card numbers to touch our servers. what's the recommended way?",
        'Use hosted fields (web) or the mobile SDK card form. They send the card straight to us and give you a pm_ token, which you use server-side with your secret key. That keeps you in SAQ A.',
    ),
    (
        'internal_ops_problem',
        'Disbursement to acct_8120 bounced, funds in limbo',
        'Payout to acct_8120 came back as returned but the balance is still 0, so where did the $720 go?',
        "The returned $720 was sitting in the returns suspense account. I moved it back to acct_8120's balance and put payouts on hold until they update their bank details.",
    ),
    (
        'external_ops_problem',
        'Order item_381 stuck in payment_pending',
        "item_381 has been payment_pending since yesterday afternoon. the buyer says they were charged but we can't ship until it clears",
        "item_381 was waiting on a bank transfer confirmation. It arrived this morning and the item is now 'paid', so you can ship. Bank transfers can take up to 2 business days to confirm.",
    ),
    (
        'internal_ops_problem',
        "batch B-4102 failed with 'insufficient funding'?",
        'the morning payout batch failed outright with insufficient funding on the funding account, never seen this before',
        'The treasury transfer into the payout funding account was late. Treasury topped it up at 10:05, I re-ran B-4102, and it completed.',
    ),
    (
        'internal_task',
        "Set webhook URL for merchant who can't log in (acct_8402)",
        "Merchant's only admin left, new admin invite is pending legal. They want webhooks pointed to https://hooks.greenleaf.io/pay in the meantime.",
        'Set the webhook endpoint on acct_8402 to https://hooks.greenleaf.io/pay after confirming the request came from the verified owner email. The signing secret will be shown to the new admin.',
    ),
    (
        'external_dev_inquiry',
        'how long are idempotency keys remembered',
        'If we retry next day with the same key will it dedupe?',
        'Keys are kept for 24 hours. After that the same key counts as a new request, so only use it for retries within that window.',
    ),
    (
        'internal_ops_problem',
        'Fee invoice generation failed for September',
        "Billing says the monthly fee invoices for Sept never got created, the job shows 'error' in the scheduler.",
        "It failed on one account with a null tax country. I fixed that account's data and re-ran the job; all 4,118 September invoices are generated and being emailed.",
    ),
    (
        'external_ops_problem',
        'payout is late, was supposed to land tuesday',
        "Our weekly payout (around $2,450) normally arrives Tuesday, it's Thursday and nothing. acct_5120",
        'Your payout was held for a routine check because of a big jump in volume. The check is done and the $2,450 was sent today; it should be in your bank within 1 business day.',
    ),
    (
        'external_dev_problem',
        'POST /v2/payments timing out',
        'About 1 in 20 create payment calls time out after 30s from our EU servers, since Monday. nothing changed on our side',
        'A slow issuer in a 3DS preflight check was holding requests open. We added a 10s cap on that check on Tuesday, so timeouts should be gone; retry with the same Idempotency-Key so nothing is charged twice.',
    ),
    (
        'external_dev_inquiry',
        'can you explain callbacks vs webhooks in your docs?',
        'Docs use both words, are they the same thing?',
        "They're the same: an HTTP POST from us to your endpoint when an event happens. Older pages say 'callback URL' and newer ones say 'webhook endpoint'.",
    ),
    (
        'internal_ops_problem',
        'Reserve release for acct_1402 overdue',
        "Their 30% reserve from April should've released last week, merchant chasing.",
        "The release was blocked by an open dispute on the account. That dispute closed yesterday, so I released the $6,100 and it goes out in today's payout.",
    ),
    (
        'external_ops_problem',
        "Payment won't go through on mobile",
        'when I try to pay on my phone it just spins and then says payment failed, on laptop it works',
        "Your bank's 3-D Secure page was blocked by an in-app browser. Please open the checkout link in Safari or Chrome directly and try again.",
    ),
    (
        'external_dev_inquiry',
        'Is there a reference of error codes?',
        "We want to map your error codes to user-friendly messages, where's the full list?",
        'All codes are at docs.example-payments.com/errors. Every error response has type, code, message and, for card errors, decline_code; show message only for card_error and log the rest.',
    ),
    (
        'external_dev_problem',
        '.NET SDK JsonException on new enum value',
        'System.Text.Json.JsonException: The JSON value could not be converted to PaymentStatus. Started this morning.',
        "We added the new status 'requires_review' and SDKs before 4.0 fail on unknown enum values. Upgrade to 4.0+, which maps unknown values to Unknown, or set the SDK's StrictEnums = false.",
    ),
    (
        'internal_task',
        'Credit $25 goodwill to acct_1983',
        'Long-standing merchant had a bad experience with a delayed payout, AM approved $25 credit.',
        "Added a $25 goodwill credit to acct_1983's balance; it goes out with their next payout.",
    ),
    (
        'external_ops_problem',
        'payout missing from my bank account',
        "Dashboard says payout po_9921 paid on Monday but my bank (Chase) has nothing. It's $1,130.",
        "po_9921 was sent Monday with trace number 091000019921. Banks sometimes take an extra day to post ACH credits; if it's not there tomorrow, give Chase that trace number.",
    ),
    (
        'external_dev_problem',
        'Your .NET SDK keeps throwing errors after upgrade',
        'Since upgrading Payments.NET to 4.2.0 every call throws System.NullReferenceException in ApiClient.SendAsync. 4.1.3 was fine.',
        "That's a bug in 4.2.0 when no proxy is configured. 4.2.1 on NuGet fixes it; until you upgrade, setting PaymentsClientOptions.Proxy = null explicitly works around it.",
    ),
    (
        'external_ops_problem',
        'International cards getting blocked',
        'Customers from UK and Canada keep getting declined, US customers fine.',
        "Your risk settings block payments where the card country doesn't match the IP country. I've relaxed that rule so international cards can go through with 3-D Secure.",
    ),
    (
        'internal_task',
        're-send welcome email to acct_9145',
        'New merchant says they never got the welcome mail with the activation link',
        'Resent the welcome/activation email to acct_9145. The first one had soft-bounced because their mailbox was full.',
    ),
    (
        'external_ops_problem',
        'Payment says succeeded but money not in my balance',
        "Payment pay_66120 shows succeeded but my available balance didn't change.",
        "Succeeded payments show as 'pending' in your balance until settlement (T+2 for your account). pay_66120 becomes available on Thursday.",
    ),
    (
        'external_dev_problem',
        '404 on /v1/payouts - removed?',
        'Our old integration calling /v1/payouts suddenly gets 404 not_found today',
        'v1 payouts were shut down on the 1st after the 12-month deprecation period. Use POST /v2/payouts; the migration guide lists the field mapping.',
    ),
    (
        'external_dev_inquiry',
        'how do I get a device id on iOS?',
        "On Android we use setDeviceId, what's the iOS equivalent?",
        "On iOS call Payments.shared.setDeviceId(DeviceId.current()) after configure(publishableKey:), in your AppDelegate. It's a per-install id kept in the keychain; don't use the IDFA.",
    ),
    (
        'external_dev_problem',
        'pagination cursor returns the same page',
        'Using starting_after on /v2/customers and I keep getting the same 100 rows, loop never ends',
        "You're passing the first item's id as starting_after, but it has to be the last item's id from the previous page. Also stop when has_more is false.",
    ),
    (
        'external_ops_problem',
        'Account suspended without any warning',
        'We got logged out and it says account suspended. We have orders to fulfil! acct_3821',
        'acct_3821 was paused for a compliance check because the business owner documents expired. Upload a current ID under Settings > Verification; reviews usually finish within 1 business day.',
    ),
    (
        'internal_ops_problem',
        'Admin panel times out opening big merchants',
        'Opening acct_1001 (our largest marketplace) in the admin just spins and then 504s. others ok.',
        "The page loaded all payouts without pagination. I shipped a hotfix that limits it to the last 100 with a 'load more' button, and acct_1001 opens in about 2s now.",
    ),
    (
        'external_ops_problem',
        'payout went to my old bank account',
        'I updated our bank details last week but this payout still went to the old account which is closed!!',
        'The change was still in its 48-hour verification window when the payout went out. Payouts to a closed account are returned, usually within 3-5 business days, and the money comes back to your balance and goes to the new account.',
    ),
    (
        'external_dev_inquiry',
        'how will we know about deprecations?',
        "Is there a changelog or mailing list so we don't get surprised by API changes?",
        "Changes are posted at docs.example-payments.com/changelog (there's an RSS feed), and deprecations are emailed to the technical contact on your account at least 6 months ahead.",
    ),
    (
        'internal_task',
        'Reset 2FA for owner of acct_7710',
        "Owner got a new phone and can't get codes anymore. ID check passed via the KYC re-verification this morning (case C-4471).",
        "2FA is reset on acct_7710 - they'll be asked to enrol a new authenticator at next login. I logged it against case C-4471.",
    ),
    (
        'external_dev_problem',
        'Java SDK 403 forbidden after key rotation',
        'Rolled our keys yesterday, now the Java service gets 403 for everything even with the new key',
        'You made the new key as a restricted key with Read only. Give it Write on payments and refunds under Developers > API keys, or use the standard secret key.',
    ),
    (
        'external_ops_problem',
        '2FA code not arriving',
        "I'm not getting the SMS code to log in, tried 5 times. changed nothing on my phone",
        "Your carrier was blocking our SMS sender. I sent the code by email instead; after you log in, switch to an authenticator app under Security so this can't happen again.",
    ),
    (
        'external_dev_inquiry',
        'how do I refund a payment through the API?',
        "what's the call to refund, full and partial?",
        'POST /v2/refunds with payment=pay_xxx for a full refund; add amount (in minor units) for a partial one. You can do several partial refunds up to the original amount, and send an Idempotency-Key.',
    ),
    (
        'internal_task',
        'Extend trial for Nimbus Labs by 14 days',
        "Nimbus Labs (acct_6188) trial runs out tomorrow and they're still waiting on their legal sign-off. Sales asked for 2 more weeks.",
        "Trial for acct_6188 now ends on the 28th (14 days added). Billing won't kick in until then, and they got an email confirming the new date.",
    ),
    (
        'internal_ops_problem',
        'ACH file rejected by the bank this morning',
        "Ops got an email from the bank that today's ACH origination file was rejected, 'invalid batch header'.",
        'A merchant name with an ampersand broke the batch header formatting. I sanitised it and resubmitted before the 13:00 ET cut-off, so the payouts still go out today.',
    ),
    (
        'external_ops_problem',
        "funds on hold for 'risk review'",
        "all our payments from this weekend are held for risk review, we're a small bakery what risk??",
        "A sudden spike of high-value orders from new customers set off the review. It's cleared and your funds are released; tell us ahead of time about big events to avoid this.",
    ),
    (
        'external_dev_problem',
        'Callbacks arriving in the old payload format',
        'We updated our code to the 2024-06-01 schema but webhooks still come in the old shape',
        "Webhook payloads use the endpoint's API version, not your request header. Edit the endpoint in Developers > Webhooks and set its version to 2024-06-01.",
    ),
    (
        'internal_task',
        'Raise payout limit for acct_4021',
        'They sell furniture, single payouts over 25k get capped. Need the limit at 60k.',
        "Raised the per-payout limit on acct_4021 to $60,000 after risk approval. Today's capped balance will go out in tomorrow's run.",
    ),
    (
        'external_ops_problem',
        'Payout failed, status says returned',
        "po_7702 says 'returned - account closed'. we didn't close anything?",
        "Your bank told us the account ending 4471 is closed. The money is back in your balance; add the current account under Settings > Bank account and we'll resend it.",
    ),
    (
        'external_dev_inquiry',
        'Is there an OpenAPI spec or Postman collection?',
        'we generate clients from openapi, do you publish one?',
        "Yes, the OpenAPI 3.1 spec is at github.com/example-payments/openapi, with one file per API version, and the repo links a Postman collection that's kept in sync.",
    ),
    (
        'internal_ops_problem',
        '40 merchant applications stuck in pending_review',
        'New signups from the weekend are all sitting in pending_review, none auto-approved even the obviously fine ones.',
        "The auto-approval rule was paused during Friday's risk config change and never turned back on. I re-enabled it and re-evaluated the queue: 34 approved, 6 sent for manual review.",
    ),
    (
        'external_dev_inquiry',
        'Python library - how to set a timeout?',
        'Some calls hang for ages in our celery workers. Is there a timeout option in the python sdk?',
        'Pass timeout when you create the client: payments.Client(api_key, timeout=10, max_retries=2). The default is 80s, which is why your workers hang; retries reuse the same idempotency key automatically.',
    ),
    (
        'internal_task',
        'pls change merchant email for acct_5521',
        'Merchant acct_5521 (Bloom Florals) lost access to their old mailbox and wants the owner email switched to ops@bloomflorals.co. I verified them on the phone already.',
        'Done - the owner email on acct_5521 is now ops@bloomflorals.co. The old address got a change notice and a fresh login link went to the new one.',
    ),
    (
        'internal_ops_problem',
        'Payouts delayed for APAC today',
        "AU and SG merchants are reporting no payouts today, dashboard says 'in transit' since yesterday. anything going on?",
        "Our APAC banking partner had a processing outage. Today's AU/SG payouts were sent at 11:00 SGT and should land by end of day; I posted a status page update.",
    ),
    (
        'external_dev_problem',
        'Java SDK ClassNotFoundException after upgrade',
        'java.lang.ClassNotFoundException: com.examplepayments.net.ApiResource after going to 6.0.0, gradle build',
        '6.0.0 moved to the com.examplepayments.sdk package and dropped Gson for Jackson. Update your imports, and if you exclude transitive dependencies, add jackson-databind.',
    ),
    (
        'internal_task',
        'Merge duplicate accounts acct_4410 and acct_4417',
        'Same merchant signed up twice with different emails, they only use acct_4410. 4417 has one test transaction, nothing real.',
        'Merged acct_4417 into acct_4410: the user and the single test transaction moved over and 4417 is closed. Their API keys on 4410 are unchanged.',
    ),
    (
        'external_dev_inquiry',
        'Are there rate limits on the API?',
        "Planning a migration script that'll hit GET /v2/customers a lot. what are the limits?",
        'Live allows 100 requests/second per account and prelive 25. Above that you get HTTP 429 with a Retry-After header; back off for that many seconds. For a migration, page with limit=100 to keep the number of calls down.',
    ),
    (
        'internal_task',
        'Waive the monthly platform fee for Sept - acct_5090',
        "We had the outage on the 12th that hit them hard, AM wants to waive September's $49 platform fee as a goodwill gesture.",
        'Waived the $49 September platform fee on acct_5090; the invoice was reissued at $0 and the credit note is attached to it.',
    ),
    (
        'external_ops_problem',
        "Can't log into dashboard - 'account disabled'",
        "Logging in says account disabled. I'm the owner of acct_4519.",
        "Your user was disabled by another admin on acct_4519 on the 4th. I've turned it back on, and your colleague has been told.",
    ),
    (
        'internal_task',
        'Wipe sandbox test data for partner Orbit',
        "Orbit's team wants a clean sandbox before their QA cycle, they've got like 30k junk test payments in there.",
        "Cleared all test-mode payments, customers and webhooks logs for Orbit's sandbox. Their test API keys and webhook endpoints were kept.",
    ),
    (
        'external_dev_problem',
        'python sdk SSL error',
        'ssl.SSLCertVerificationError: certificate verify failed when calling the API from our python 3.8 container',
        "Your container's CA bundle is too old to have our new root certificate. Update ca-certificates in the image (or upgrade certifi) and it'll connect.",
    ),
    (
        'external_dev_inquiry',
        'Does the Node SDK ship typescript types?',
        "Can't find @types for your node package, do we need to write our own?",
        "The types are bundled in the package since v7, so import { Payments } from '@example-payments/node' and you get full typings. You don't need an @types package.",
    ),
    (
        'internal_ops_problem',
        'Bank statement for 20 Oct never arrived on SFTP',
        "The 20 Oct MT940 from the bank isn't in the inbound folder, so recon for that day is blocked.",
        "The bank's sending job failed on their side. They resent it at 14:20, recon for the 20th ran and is clean.",
    ),
    (
        'external_dev_problem',
        'Android SDK crashes on init',
        'App crashes at startup with java.lang.IllegalStateException: Payments not initialized, sdk 3.5.0, only on Android 14 devices',
        'Your ContentProvider calls the SDK before Application.onCreate has run Payments.init. Move init to the very top of onCreate, or use 3.5.1, which starts itself via androidx.startup.',
    ),
    (
        'internal_ops_problem',
        'Payouts scheduled on a bank holiday',
        'Next Monday is a bank holiday in DE but the payout calendar has normal payouts that day.',
        "The 2024 DE holiday calendar was missing that date. I added it, so Monday's payouts move to Tuesday, and I emailed the affected merchants.",
    ),
    (
        'external_dev_inquiry',
        'how do I create a payout via the API?',
        "We're a platform and want to trigger payouts to our sellers ourselves instead of the automatic schedule",
        "Set the seller's payout schedule to manual, then POST /v2/payouts with amount, currency and destination (their bank account id). You'll get payout.paid or payout.failed webhooks.",
    ),
    (
        'internal_task',
        'Pull list of merchants with payout holds for compliance',
        'Compliance wants every account currently on payout hold, with the hold reason and since when.',
        'Sent compliance a list of 63 accounts on payout hold with hold reason and start date. Most (41) are pending bank verification.',
    ),
    (
        'external_dev_problem',
        'no webhook for partial refunds',
        'refund.succeeded fires for full refunds but nothing for partial ones??',
        "Partial refunds do fire refund.succeeded, but your endpoint only subscribes to charge.refunded, the old event that only fires for full refunds. Add refund.succeeded to the endpoint's events.",
    ),
    (
        'internal_ops_problem',
        'Negative balance on acct_9021 after reversal',
        "acct_9021 is at -$430 after a payment reversal and we can't tell if it'll auto-recover.",
        "It recovers on its own: the next incoming payments cover the -$430 before any payout. If it's still negative after 14 days, the bank debit on file is used.",
    ),
    (
        'internal_task',
        'Add partner Helio Pay to premium support tier',
        'Helio Pay signed the partner agreement incl. premium support. Can someone give their people access to the premium channel?',
        'Added Helio Pay to the premium tier; their listed contacts now see the premium support channel and the partner-only KB articles.',
    ),
    (
        'external_ops_problem',
        'My subscription renewal failed',
        "Got an email my plan renewal failed and i'll lose access, card is valid though",
        'The card on file expired last month, so the renewal was refused. Update the card under Billing > Payment method and the renewal will be retried right away.',
    ),
    (
        'external_dev_problem',
        'iOS SDK build fails on Xcode 15',
        "'PaymentsUI' module compiled with Swift 5.8 cannot be imported by the Swift 5.9 compiler",
        "You're on the prebuilt 5.1 xcframework. Upgrade to 5.2.0+, which is built with library evolution on, or add the package through SPM so it builds from source.",
    ),
    (
        'internal_ops_problem',
        "Chargeback import didn't run last night",
        'No new disputes loaded since yesterday morning, normally we get ~200 a day from the networks.',
        'The dispute import cron failed because an SFTP credential expired. I rotated it and ran the import by hand: 214 disputes loaded, no deadlines missed.',
    ),
    (
        'external_dev_inquiry',
        'how do i verify the webhook signature',
        "What's in the Payments-Signature header and how am I supposed to check it in node? docs example is for python only",
        "The header is t=<timestamp>,v1=<hex>. Compute HMAC-SHA256 of `${t}.${rawBody}` with your endpoint's whsec_ secret, compare to v1 with crypto.timingSafeEqual, and reject it if t is more than 5 minutes old. Use the raw body, not re-serialised JSON.",
    ),
    (
        'external_dev_problem',
        'Node SDK leaking memory',
        'Heap keeps growing in our node workers with @example-payments/node 7.9, eventually OOM',
        "You're creating a new client for every request, and each one registers a keep-alive agent. Create one client when the process starts and reuse it; 7.10 also frees agents properly.",
    ),
    (
        'external_dev_inquiry',
        'Which events should I subscribe to for subscriptions?',
        'Building recurring billing, what webhook events do we actually need to listen for?',
        'At least invoice.paid, invoice.payment_failed, subscription.updated and subscription.deleted. Add subscription.trial_will_end if you send trial reminders.',
    ),
    (
        'internal_ops_problem',
        'payout batch B-2209 still queued this morning',
        "Nightly payout batch B-2209 is still 'queued' since 02:00 UTC, normally it's done by 3am. Merchants starting to ping us.",
        'B-2209 was stuck behind a lock left by the failed B-2208 retry. I cleared the lock and re-ran it; it finished at 09:40 and the payouts are on their way.',
    ),
    (
        'internal_task',
        'Change payout schedule for acct_2108 from daily to weekly',
        'Merchant prefers one payout a week on Mondays for easier bookkeeping.',
        "acct_2108 now pays out weekly on Mondays. The balance from this week rolls into next Monday's payout.",
    ),
    (
        'external_ops_problem',
        'Partial refund went through as full?',
        'I refunded $20 of a $120 order and the customer got the full $120 back?',
        "The refund request was sent without an amount, so it defaulted to the full amount. We can't reverse a refund, but the refund form now shows the amount to refund before you confirm.",
    ),
    (
        'internal_task',
        'Close account acct_7001 - merchant shutting down',
        'Merchant is going out of business and asked us to close the account. They have $212 left in balance.',
        'Triggered a final payout of $212 to their verified bank account and scheduled the closure of acct_7001 once it settles. Keys are already revoked.',
    ),
    (
        'internal_ops_problem',
        'Recon: 37 transactions unmatched for acquirer Nordbank',
        'Nordbank settlement file for yesterday leaves 37 txns unmatched, all look like Amex.',
        'Nordbank changed the Amex reference format in their file. I updated the matcher for the new format and re-ran; all 37 matched.',
    ),
    (
        'internal_task',
        'Disable legacy checkout for acct_1456',
        'They moved fully to hosted checkout v3 and want the old v1 checkout links switched off so customers stop landing on them.',
        "Disabled legacy checkout v1 on acct_1456. Old links now redirect to a 'link expired' page; v3 is unaffected.",
    ),
    (
        'internal_ops_problem',
        "Trial expiration cron didn't run",
        "Accounts whose trial ended yesterday are still on trial status. we're not billing them",
        'The cron was disabled in the maintenance window and not turned back on. I re-enabled it and ran it by hand; 63 trials converted and got their first invoice.',
    ),
    (
        'external_ops_problem',
        "Customer's prepaid card declined",
        'Buyer with a prepaid Visa gift card keeps getting rejected.',
        "Many prepaid gift cards don't support online or recurring payments, or don't have a registered billing address. Ask the buyer to register the card with its issuer or use another card.",
    ),
    (
        'internal_ops_problem',
        'Dashboard shows wrong balance for acct_6634',
        "Merchant sees $0 available but the ledger says $8,920. they're freaking out.",
        "The balance cache for acct_6634 didn't refresh after a reversal. I rebuilt it and the dashboard shows $8,920 now; a fix for the cache refresh is in the bug queue.",
    ),
    (
        'external_dev_inquiry',
        'can I see / replay past webhook deliveries?',
        'Our endpoint was broken over the weekend, is there a list of failed deliveries we can resend?',
        "Yes: in Developers > Webhooks > your endpoint you'll find every delivery with its response code and a Resend button. Or list events with GET /v2/events?delivery_success=false and resend them with POST /v2/events/{id}/retry.",
    ),
    (
        'internal_ops_problem',
        'Reserves not released on schedule',
        "Several merchants with 90-day rolling reserve say yesterday's release didn't happen. e.g. acct_1402, acct_3355",
        'The reserve-release sweeper skipped yesterday because of a daylight-saving bug in its schedule. I ran it by hand; 86 accounts, including acct_1402 and acct_3355, got their releases.',
    ),
    (
        'internal_task',
        'Reset sandbox API secret for dev account dev_882',
        'Dev says they lost their sandbox secret and the regenerate button errors out for them.',
        'Regenerated the sandbox secret for dev_882 and emailed it to the account owner. The regenerate button failed because their role is Developer, not Admin.',
    ),
    (
        'internal_ops_problem',
        'Dispute deadline alerts not firing',
        "Merchants aren't getting the '3 days left to respond' alerts anymore, one lost a dispute because of that.",
        'The alert job was filtering on a status name that was renamed in the last release. I fixed the filter and backfilled alerts for open disputes; I also asked the disputes team to review the one that was lost.',
    ),
    (
        'external_ops_problem',
        "Charged a fee I didn't agree to",
        "Theres a $29 'account service fee' on my statement, never heard of it",
        "That's the monthly fee for the Pro plan, which your account was upgraded to on the 2nd. If you didn't mean to upgrade, I can move you back to Standard and refund this month's $29.",
    ),
    (
        'external_dev_inquiry',
        "what's the correct header for api key auth",
        'is it X-Api-Key or Authorization? getting confused by an old blog post',
        'Use Authorization: Bearer sk_test_... (or sk_live_...). The old X-Api-Key header only works on v1, which is deprecated.',
    ),
    (
        'internal_ops_problem',
        'Daily txn export to the warehouse is empty',
        "analytics says yesterday's transactions table has 0 rows, everything else looks fine",
        "The export ran before the replica had caught up and wrote an empty file. I re-ran it with the lag check on and yesterday's 1.2M rows are loaded.",
    ),
    (
        'external_dev_problem',
        'webhook signature verification always fails',
        "Every event fails our HMAC check with 'signature mismatch'. using express + the secret from dashboard",
        "express.json() parses the body before you verify it, so the bytes you hash aren't what we signed. Use express.raw({type: 'application/json'}) on the webhook route and hash the raw buffer.",
    ),
    (
        'external_ops_problem',
        'payment authorised but never captured',
        'Customer paid, it shows authorised, but it never turned into a real payment and now it expired?',
        "Your store uses manual capture and the authorisation wasn't captured within 7 days, so it expired. Ask the customer to pay again, or switch to automatic capture under Settings > Payments.",
    ),
    (
        'external_dev_inquiry',
        'how exactly do your callbacks work?',
        'When does your system actually call our callback URL, and what happens if our server is down for a bit, do you retry?',
        "We POST a JSON event to your endpoint as soon as the state changes (payment succeeded/failed, refund, payout, dispute). If you don't answer 2xx within 10s we retry with exponential backoff, up to 8 attempts over about 2 days, and you can resend any event from Developers > Webhooks.",
    ),
    (
        'external_ops_problem',
        'Seller fee charged twice on order 77410',
        'Our marketplace statement shows the seller fee twice for order 77410.',
        'One of those lines was a fee on a retried payment attempt. I reversed the duplicate fee, and the credit shows on your balance now.',
    ),
    (
        'external_dev_problem',
        '409 idempotency conflict on retry',
        'Retrying a failed create payment gives 409 idempotency_key_reused. How am I supposed to retry then?',
        'You retried with the same key but changed the amount in the body. Reuse a key only for an identical request; if the body changes, send a new key.',
    ),
    (
        'external_ops_problem',
        'Fees are way higher than expected this month',
        'We were quoted 1.9% + 20c but the Oct statement works out to nearly 3%? acct_2874',
        'Most of your October volume was on international and commercial cards, which cost more on your plan (an extra 1% cross-border). The fee breakdown is under Reports > Fees; we can look at IC++ pricing if that mix keeps up.',
    ),
    (
        'external_dev_inquiry',
        'passing the device id from our android app - which sdk call?',
        "Risk team wants us to pass the device id on payments from our Android app (sdk 3.4.1). what's the call and where do we get the id from?",
        'Call Payments.setDeviceId(DeviceId.get(context)) right after Payments.init(...) in Application.onCreate. DeviceId.get gives a stable per-install id, and the SDK then sends it with every payment for fraud scoring. Needs SDK 3.2.0+.',
    ),
    (
        'internal_task',
        'Please update phone number on seller profile S-1192',
        'Seller changed numbers, new one is +44 7700 900 418. SMS alerts are going to the old number.',
        "Updated S-1192's phone to +44 7700 900 418 and sent a verification SMS, which they confirmed. Alerts go to the new number now.",
    ),
    (
        'external_ops_problem',
        'why a $15 chargeback fee?',
        'I won the dispute and still got charged $15?',
        "The $15 covers the network's cost of handling the dispute, whatever the outcome. Winning returns the disputed amount but not the fee, as in section 7 of the pricing page.",
    ),
    (
        'internal_ops_problem',
        'Refund batch RB-551 only partially processed',
        "RB-551 had 300 refunds, only 212 show as processed, rest still 'created'.",
        'The acquirer rate-limited us during the batch. I resubmitted the 88 remaining refunds at a lower rate and all are processed now.',
    ),
    (
        'external_dev_inquiry',
        'How do API versions work, can I pin one?',
        'Worried a future change will break our integration. Is there a version header?',
        'Send Api-Version: 2024-06-01 (or whichever date you built against) on every request. Without it you get the version your account was pinned to when you created your first key. Breaking changes only ship in new dated versions.',
    ),
    (
        'internal_task',
        'Change seller fee to 1.5% for marketplace partner M-22',
        'New contract for M-22 lowers their seller fee from 2% to 1.5%, starting next billing period.',
        "Updated M-22's seller fee to 1.5%, effective from the next billing period on the 1st. Orders before that keep the 2% fee.",
    ),
    (
        'external_ops_problem',
        'charged twice for the same order!',
        'My bank statement shows two charges of 64.99 from the same shop on the same day, I only ordered once (order 77812).',
        'The second charge was a pending authorisation from a checkout retry and it was never captured. It drops off your statement automatically within 7 days; only one payment of 64.99 went through.',
    ),
    (
        'internal_ops_problem',
        'KYC review queue not moving',
        "There are 140 merchants in KYC review and nothing's been picked up since Monday. did something break?",
        'The document-verification vendor webhook was pointed at the old URL after the migration. I updated it and replayed the missed events; the queue is down to 12 that need manual review.',
    ),
    (
        'external_dev_problem',
        'webhooks stopped arriving since yesterday',
        "Our endpoint hasn't received a single payment.succeeded since ~6pm yesterday, payments are still going through fine.",
        "Your endpoint started returning 301 redirects (http to https) after your infra change, and we don't follow redirects, so it got disabled after the retries failed. Point it at the https URL, re-enable it and resend the missed events.",
    ),
    (
        'internal_task',
        'Remove the rolling reserve on acct_5530',
        "They've been with us 18 months, zero chargebacks. Underwriting approved removing the 10% rolling reserve (UW-3310).",
        'Removed the 10% rolling reserve on acct_5530 per UW-3310. Funds already held will be released on their normal release dates, and new payments are no longer reserved.',
    ),
    (
        'external_dev_problem',
        '400 invalid_currency for a valid currency',
        "Creating a payment with currency='CHF' returns 400 invalid_currency, CHF is in your docs list",
        "CHF isn't enabled on your account yet, and that error code is misleading (we've logged it). I've turned CHF on for acct_6621; please retry.",
    ),
    (
        'internal_ops_problem',
        'Returned payouts (R01) not credited back to balances',
        "We got several ACH returns with R01 last week but the money isn't back in the merchants' balances.",
        'The return file was parsed but the ledger posting step failed. I re-posted the 9 returns and their balances are correct; the merchants were asked to check their bank details.',
    ),
    (
        'external_ops_problem',
        'why is my balance on hold?',
        "I see 'funds on hold: $4,020' and can't withdraw. didn't get any email explaining",
        "The hold is a 7-day rolling reserve on new accounts for the first 30 days. Each day's funds are released 7 days later, so the first release is this Friday.",
    ),
    (
        'external_dev_problem',
        '502 Bad Gateway from prelive',
        'api.prelive.example-payments.com returns 502 for maybe 30% of calls this morning, blocking our QA',
        "There was a prelive load balancer incident from 08:10 to 09:25 UTC; it's fixed now. Prelive has no uptime SLA, and premium partners can ask for a dedicated prelive.",
    ),
    (
        'internal_task',
        'Change default currency on acct_9930 to CAD',
        'Canadian merchant was set up with USD by mistake during onboarding.',
        'Default currency on acct_9930 is now CAD. New payments default to CAD; existing USD balance stays in USD until paid out.',
    ),
    (
        'internal_ops_problem',
        'refund job stuck at 63%',
        'the bulk refund job for the Black Friday cancellations (job rj_7781) hasnt moved off 63% for 2 hours',
        'rj_7781 was retrying one refund on a closed card forever. I marked that refund as failed so it can be handled manually, and the rest of the job finished in a few minutes.',
    ),
    (
        'internal_task',
        'Move acct_5506 to the Canadian entity',
        'Merchant relocated from Seattle to Vancouver and now has a Canadian business number. Needs to be under our CA entity.',
        'Moved acct_5506 to the CA entity: new terms were accepted, CAD payouts set up to their Canadian bank. USD balance paid out to the old account first.',
    ),
    (
        'external_ops_problem',
        'Where is my refund? order #55120',
        'I returned the shoes two weeks ago and the shop says they refunded me, but nothing on my card.',
        "The refund for #55120 was processed on the 3rd (ref RF-88120). Card refunds take 5-10 business days to appear depending on your bank; if you can't see it by the 17th, give your bank that reference.",
    ),
    (
        'internal_task',
        'Reissue July invoice for acct_4455 with VAT number',
        "Customer needs the July invoice to show their VAT ID IE6388047V, otherwise they can't reclaim it. can we regenerate?",
        "Added VAT ID IE6388047V to acct_4455's billing profile and reissued the July invoice. The new PDF is in their dashboard under Billing > Invoices.",
    ),
    (
        'external_ops_problem',
        'Account verification rejected',
        'Our business verification came back rejected, no reason given. acct_6655',
        "The address on the registration document didn't match the one you entered. Fix the address in Settings > Business details and upload the document again; it's usually reviewed within 1 business day.",
    ),
    (
        'external_dev_problem',
        "Node SDK: Cannot read properties of undefined (reading 'create')",
        'After bumping @example-payments/node to 8.0.0, payments.paymentIntents.create throws TypeError: Cannot read properties of undefined',
        'v8 renamed paymentIntents to payments (see the v8 migration guide). Use client.payments.create(...), or stay on 7.x.',
    ),
    (
        'internal_ops_problem',
        '1099-K report missing merchants',
        "Tax team says about 200 US merchants who should qualify aren't in the 1099-K draft.",
        'The report used the old $20k/200 threshold instead of the current one. I updated it and regenerated the draft; the missing 214 merchants are included now.',
    ),
    (
        'internal_task',
        'Change business name on acct_6620 after rebrand',
        "Merchant rebranded from 'Tidy Paws' to 'Pawfect Co.', they uploaded the new registration cert. Needs updating on the account + invoices.",
        "Legal and display name on acct_6620 are now 'Pawfect Co.'. Invoices from today use the new name; past invoices stay as issued.",
    ),
    (
        'external_dev_inquiry',
        'is there a way to do partial capture?',
        'We authorize at checkout and ship later, sometimes only part of the order. can we capture less than authorized?',
        'Yes: create the payment with capture_method=manual, then POST /v2/payments/{id}/capture with amount_to_capture set to the lower amount. The rest of the authorisation is released. You have 7 days to capture.',
    ),
    (
        'external_dev_problem',
        '429 too many requests with very low traffic',
        'We do maybe 5 req/s and get 429 rate_limited on GET /v2/balance. what limit are we hitting',
        "GET /v2/balance has its own limit of 1 request/second per account because it's expensive. Cache it for a few seconds or listen for balance.available webhooks instead of polling.",
    ),
    (
        'internal_task',
        'update statement descriptor for acct_6671',
        "Customers don't recognize 'SQ*NRTHLNE' on their bank statements and file disputes. They want 'NORTHLANE BIKES'.",
        "Set the statement descriptor on acct_6671 to 'NORTHLANE BIKES'. New charges show it within 1-2 days depending on the issuing bank.",
    ),
    (
        'external_ops_problem',
        "Refund stuck on 'processing' for 10 days",
        "Refund for order 66021 still says processing, it's been 10 days. customer keeps emailing",
        "The original card was cancelled, so the network rejected the refund. It's now marked failed and the money is back in your balance; please refund the customer another way.",
    ),
    (
        'internal_task',
        'Correct tax id on acct_3319, typo at signup',
        'Merchant entered EIN 84-33l9021 (lowercase L instead of 1), their 1099 will be wrong. Correct is 84-3319021.',
        'Corrected the EIN on acct_3319 to 84-3319021 and re-ran the TIN match, which passed. The 1099-K will use the corrected number.',
    ),
    (
        'external_dev_inquiry',
        'How do I use the expand parameter?',
        'I want the customer object inline when fetching a payment instead of just the id',
        'Add expand[]=customer to the request, e.g. GET /v2/payments/pay_123?expand[]=customer. You can expand up to 4 levels deep, like expand[]=refunds.data.balance_transaction.',
    ),
    (
        'internal_task',
        'Transfer ownership of acct_2765 to new director',
        "Old owner left the company, we've got the board resolution naming M. Haddad as new director. He needs to be the account owner.",
        "Verified the board resolution and moved ownership of acct_2765 to M. Haddad. The previous owner's access was downgraded to none.",
    ),
    (
        'external_ops_problem',
        "Customer card refused with 'card_not_supported'",
        'A buyer from Brazil keeps getting card_not_supported when paying. Is that on our end?',
        "That card is a domestic-only Elo card, which can't be used for cross-border payments. The buyer needs a card enabled for international purchases, or another payment method.",
    ),
    (
        'internal_ops_problem',
        'Duplicate payout sent to acct_2290?',
        'Bank statement shows two identical $1,540 payouts to acct_2290 on the same day, ledger only has one.',
        'The bank processed our retry file after the first file had also gone through. I raised a recall with the bank (ref RC-5502) and put a matching negative adjustment on acct_2290 in case the recall fails.',
    ),
    (
        'internal_task',
        'Turn off email receipts for acct_7720',
        'They send their own branded receipts and customers are getting two of them.',
        'Disabled our automatic customer email receipts on acct_7720. Their own receipts are untouched.',
    ),
    (
        'internal_ops_problem',
        'Settlement report missing for 14 Oct',
        "Finance can't find the daily settlement report for Oct 14 in the reports bucket, 13th and 15th are there.",
        'The 14 Oct report job timed out because the acquirer file was late. I re-ran it and the report is now in the bucket as settlement_2024-10-14.csv.',
    ),
    (
        'internal_task',
        'Bump refund limit for acct_3390 to 10k/day',
        "Big electronics seller, they're hitting the 2k daily refund limit during returns season. Risk is fine with it (ticket RSK-902).",
        'Raised the daily refund limit on acct_3390 to $10,000 per RSK-902. It takes effect immediately.',
    ),
    (
        'external_ops_problem',
        'Invoice paid but still shows unpaid',
        'Paid INV-4410 by bank transfer on Monday, it still says overdue and we got a reminder.',
        "Your transfer didn't include the invoice reference, so it couldn't be matched automatically. I've matched it to INV-4410 by hand and it's marked paid; please include the reference next time.",
    ),
    (
        'external_dev_problem',
        'JSON parse error: unexpected token <',
        'our client sometimes fails parsing the response: SyntaxError: Unexpected token < in JSON at position 0',
        'Your corporate proxy answers some requests with an HTML error page. Check the proxy logs; requests that reach us always get JSON back, and the SDKs now report non-JSON replies more clearly.',
    ),
    (
        'external_ops_problem',
        'Why is my payout negative?',
        "This week's payout shows -$96. how can a payout be negative",
        "Refunds and a chargeback this week were more than your sales, so we'll debit $96 from your bank account. It goes back to normal once new sales cover it.",
    ),
    (
        'external_dev_problem',
        'GET /v2/balance response times spiking to 8s',
        'Balance endpoint latency went from 200ms to 6-8s yesterday afternoon',
        "A database failover caused slow balance reads between 15:00 and 17:30 UTC. It's resolved, and there's a note on the status page.",
    ),
    (
        'internal_task',
        'can u turn on instant_payouts for acct_9012',
        'They passed the risk review last week (RR-118), sales promised them instant payouts. flag is instant_payouts in the admin I think',
        'Enabled the instant_payouts feature flag on acct_9012 with the standard $5,000/day cap from RR-118. It shows up in their dashboard after their next login.',
    ),
    (
        'external_dev_problem',
        'fee_amount missing from payment response',
        'fee_amount disappeared from GET /v2/payments/{id} responses, our reconciliation code is throwing KeyError',
        "Your account's default moved to Api-Version 2024-06-01, where fee_amount is under balance_transaction.fee. Send Api-Version: 2023-10-01 to get the old shape, or expand[]=balance_transaction.",
    ),
    (
        'external_ops_problem',
        'order item_1577 still says payment_pending, when will it finish',
        "order item_1577 shows payment_pending and my customer is asking when it'll be done",
        "item_1577 is waiting for the customer to finish 3-D Secure. If they don't do it within 30 minutes it expires; you can send them a new payment link from the order page.",
    ),
    (
        'external_dev_inquiry',
        'Go client: does it honor context cancellation?',
        "Want our HTTP handler's ctx to cancel outgoing API calls. supported?",
        'Yes, every Go method takes a context.Context as its first argument, e.g. client.Payments.Create(ctx, params). Cancelling or timing out the ctx aborts the request.',
    ),
    (
        'internal_ops_problem',
        'FX rates not updated since yesterday',
        'Conversion rates in the admin still show yesterday 06:00 timestamp, multi-currency payouts might be using stale rates',
        'The rates feed provider changed their endpoint. I updated the config and re-fetched; rates are current, and the 4 payouts that used stale rates were within the 0.5% tolerance.',
    ),
    (
        'internal_ops_problem',
        'GBP payouts pending for 3 days',
        "All GBP payouts created since Tuesday show 'pending'. EUR ones go out fine.",
        "Our Faster Payments connection certificate expired on Tuesday. It's renewed, and the pending GBP payouts were sent at 10:15 and have settled.",
    ),
]

ARTICLES: list[dict] = [
    {
        "title": 'How callbacks (webhooks) work',
        "body": (
            'A callback (our older docs say "callback URL", newer ones "webhook endpoint") is an HTTPS `POST` we send to your server when something happens on your account.\n'
            '\n'
            'When they fire:\n'
            '\n'
            '- `payment.succeeded`, `payment.failed` when a payment finishes\n'
            '- `refund.succeeded`, `refund.failed`\n'
            '- `payout.paid`, `payout.failed`\n'
            '- `dispute.created`, `dispute.closed`\n'
            '\n'
            'Each request has a JSON event body with `id`, `type`, `created` and `data.object`. Its shape follows the API version set on the endpoint.\n'
            '\n'
            'Answer quickly:\n'
            '\n'
            "Return any `2xx` within 10 seconds. Don't do slow work (emails, ERP sync) before you reply: store the event, answer `200`, and do the work in a background job. We don't follow redirects, so a `301` counts as a failure.\n"
            '\n'
            'Retries:\n'
            '\n'
            'If we get no `2xx`, we retry with exponential backoff (about 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h), up to 8 attempts in total over about 2 days. After that the delivery is marked failed. You can resend it from Developers > Webhooks, or with `POST /v2/events/{id}/retry`.\n'
            '\n'
            'Be safe:\n'
            '\n'
            '- Check the `Payments-Signature` header on every request (see "Verifying webhook signatures").\n'
            '- Events can arrive more than once or out of order. Skip any event `id` you have already handled, and fetch the object if you need its current state.'
        ),
        "tags": 'callback, callbacks, webhook, webhooks, events, notification, retries, retry, backoff, endpoint, 2xx, timeout, resend, replay, duplicate events',
        "ticket_types": 'external_dev_inquiry, external_dev_problem',
        "tiers": '',
    },
    {
        "title": 'Sending the device id with the Android SDK',
        "body": (
            'The device id tells our risk engine which device a payment comes from. With it, more payments pass fraud scoring and 3-D Secure without a challenge. Without it, customers see more challenges and more declines.\n'
            '\n'
            'Set it once, at init:\n'
            '\n'
            'Call `setDeviceId` right after `Payments.init`, in `Application.onCreate`:\n'
            '\n'
            '`Payments.init(this, "pk_test_...")`\n'
            '`Payments.setDeviceId(DeviceId.get(this))`\n'
            '\n'
            'The id is only attached to payments made after it is set. If you call it later, for example after `confirmPayment`, the first payments go out without it.\n'
            '\n'
            'Where to get it:\n'
            '\n'
            '- Use `DeviceId.get(context)` from the SDK. It is a stable id for each install, and it contains no personal data.\n'
            "- Don't use `Settings.Secure.ANDROID_ID`, IMEI or the advertising id. They can be empty, shared between devices, or need extra permissions, and we reject bad ones with `400 invalid_device_id`.\n"
            '\n'
            'If you create payments on your server:\n'
            '\n'
            'Send the same value as `device_id` on `POST /v2/payments`.\n'
            '\n'
            'Requirements:\n'
            '\n'
            '- SDK 3.2.0 or newer (3.4.0+ includes its own ProGuard/R8 rules).\n'
            '- On iOS, use `Payments.shared.setDeviceId(DeviceId.current())`.'
        ),
        "tags": 'device id, device_id, deviceid, setDeviceId, android, sdk, fingerprint, fraud, risk, mobile, init, invalid_device_id, kotlin, java',
        "ticket_types": 'external_dev_inquiry, external_dev_problem',
        "tiers": '',
    },
    {
        "title": 'Test cards for the prelive (sandbox) environment',
        "body": (
            'Prelive is our sandbox. It works like live, but no real money moves and no real cards are charged.\n'
            '\n'
            '- Base URL: `https://api.prelive.example-payments.com/v2`\n'
            '- Keys: only `pk_test_...` and `sk_test_...` keys work there\n'
            '- Use any future expiry date, any 3-digit CVC and any postcode\n'
            '\n'
            'Card numbers:\n'
            '\n'
            '- `4242 4242 4242 4242` - payment succeeds\n'
            '- `4000 0000 0000 0002` - declined (`card_declined`, generic decline)\n'
            '- `4000 0000 0000 9995` - declined, `insufficient_funds`\n'
            '- `4000 0000 0000 0069` - declined, `expired_card`\n'
            '- `4000 0000 0000 3220` - 3-D Secure challenge required (choose Complete or Fail on the test page)\n'
            '- `4000 0000 0000 3063` - 3-D Secure, frictionless (no challenge)\n'
            '- `4000 0000 0000 0259` - succeeds, then a dispute is opened about a minute later\n'
            '- `5555 5555 5555 4444` - Mastercard, succeeds\n'
            '\n'
            'Tips:\n'
            '\n'
            '- Real card numbers are refused in prelive, and test cards are refused in live.\n'
            '- If even `4242...` is declined, check that no blocking risk rule is left over on your prelive account.\n'
            '- To trigger webhook events without a card, run `payments trigger payment.succeeded` with the CLI.'
        ),
        "tags": 'test cards, test card numbers, sandbox, prelive, pre-live, staging, testing, QA, 4242, decline, 3ds, 3-D Secure, insufficient funds, dispute test',
        "ticket_types": 'external_dev_inquiry, external_dev_problem',
        "tiers": '',
    },
    {
        "title": 'Verifying webhook signatures',
        "body": (
            "Every webhook request is signed, so you can check that it really came from us and wasn't changed on the way. The signature is in the `Payments-Signature` header:\n"
            '\n'
            '`Payments-Signature: t=1717171717,v1=5257a869e7ec...`\n'
            '\n'
            'How to verify:\n'
            '\n'
            "- Read the raw request body as bytes. Don't parse it and re-serialise it first. Frameworks like `express.json()` change the bytes; use `express.raw()` on the webhook route instead.\n"
            '- Build the signed payload: `t + "." + raw_body`.\n'
            "- Compute HMAC-SHA256 of it, using your endpoint's signing secret (`whsec_...`) as the key. Hex-encode the result.\n"
            '- Compare it with the `v1` value using a constant-time comparison (`hmac.compare_digest`, `crypto.timingSafeEqual`).\n'
            '- Reject the request if `t` is more than 5 minutes old, to stop replays.\n'
            '\n'
            'Each endpoint has its own secret, and prelive secrets are different from live ones.\n'
            '\n'
            'Rotating the secret:\n'
            '\n'
            'Click "Roll secret" and choose an overlap period of up to 24 h. During the overlap, the header carries two `v1` values. Accept the request if either one matches.\n'
            '\n'
            'The official SDKs do all of this for you: `Webhook.construct_event(payload, header, secret)`.'
        ),
        "tags": 'webhook signature, signing secret, whsec, hmac, sha256, verify, verification, Payments-Signature, header, signature mismatch, security, rotate secret',
        "ticket_types": 'external_dev_inquiry, external_dev_problem',
        "tiers": '',
    },
    {
        "title": 'API keys: sandbox (prelive) vs live',
        "body": (
            'Every account has two sets of keys. They are under Developers > API keys.\n'
            '\n'
            '- `pk_test_...` / `sk_test_...` - prelive (sandbox), at `https://api.prelive.example-payments.com/v2`\n'
            '- `pk_live_...` / `sk_live_...` - live, at `https://api.example-payments.com/v2`\n'
            '\n'
            'Publishable vs secret:\n'
            '\n'
            '- `pk_` keys are publishable. You can put them in your mobile app or web page, for hosted fields and the SDKs.\n'
            '- `sk_` keys are secret. Keep them on your server only. Never put them in git, client code or logs.\n'
            '- Restricted keys (`rk_...`) are secret keys with limited rights (None/Read/Write for each resource). Use them for tools like reporting.\n'
            '\n'
            'Authentication:\n'
            '\n'
            'Send `Authorization: Bearer sk_test_...` on every request. The old `X-Api-Key` header only works on the deprecated v1.\n'
            '\n'
            'Common errors:\n'
            '\n'
            '- `401 invalid_api_key` - the key is wrong, revoked, or a test key sent to the live host (or the other way round).\n'
            '- `403 account_inactive` - live keys work only after your account is activated.\n'
            '- `403` with a restricted key - the key lacks the permission for that call.\n'
            '\n'
            'If a key leaks:\n'
            '\n'
            'Click "Roll key" and set the old key to expire right away, then check your recent API logs.'
        ),
        "tags": 'api key, api keys, secret key, publishable key, sk_test, sk_live, pk_test, restricted key, auth, authentication, authorization, bearer, 401, sandbox, live, production, rotate key',
        "ticket_types": 'external_dev_inquiry, external_dev_problem',
        "tiers": '',
    },
    {
        "title": 'Idempotency keys: retrying safely',
        "body": (
            "Networks fail. If a `POST` times out, you can't know whether we created the payment. Idempotency keys let you retry without charging twice.\n"
            '\n'
            'How to use them:\n'
            '\n'
            '- Send an `Idempotency-Key` header on every `POST`, for example a UUID v4.\n'
            '- Make the key once for each operation (say, "charge order 45521") and store it with the order.\n'
            '- When you retry, send the same key with exactly the same body.\n'
            '\n'
            'What we do:\n'
            '\n'
            '- The first request runs normally, and we store its result with the key for 24 hours.\n'
            '- A repeat with the same key and the same body returns the stored response, even if it was an error. No second payment is made.\n'
            '- A repeat with the same key but a different body returns `409 idempotency_key_reused`. If the request really changed, use a new key.\n'
            '- After 24 hours the key is forgotten, and it counts as a new request.\n'
            '\n'
            'Common mistakes:\n'
            '\n'
            '- Making a new UUID on every retry. Then every retry is a new charge.\n'
            '- Reusing one key for different orders.\n'
            '\n'
            'The official SDKs add a key automatically when they retry on their own (`max_retries`). Pass your own key to cover retries from your job queue too.'
        ),
        "tags": 'idempotency, idempotency key, Idempotency-Key, retry, retries, duplicate charge, double charge, timeout, 409, idempotency_key_reused, safe retries',
        "ticket_types": 'external_dev_inquiry, external_dev_problem',
        "tiers": '',
    },
    {
        "title": 'When do payouts arrive?',
        "body": (
            'Payouts send your available balance to your bank account on a schedule.\n'
            '\n'
            'Schedules:\n'
            '\n'
            '- Daily (default), weekly (you pick the day) or monthly. Platforms can also use manual payouts through `POST /v2/payouts`.\n'
            '- Payments become available after settlement: T+1 for most accounts, T+2 for new accounts in their first 30 days.\n'
            '\n'
            'Cut-off times:\n'
            '\n'
            "- Payouts are made once each business day at 14:00 UTC. Balance that becomes available after the cut-off goes in the next business day's payout.\n"
            '- The money usually reaches your bank 1 business day after it is sent (SEPA, Faster Payments, ACH). Some banks post ACH a day later.\n'
            '\n'
            'What can delay a payout:\n'
            '\n'
            '- Weekends and bank holidays in your payout country.\n'
            '- An unverified or recently changed bank account. New bank details have a 48-hour security hold.\n'
            '- A rolling reserve or a risk review (for example after a sudden jump in volume).\n'
            '- A negative balance from refunds or chargebacks.\n'
            '- A returned payout (e.g. `R01`, `R03`, account closed). The money comes back to your balance in 3-5 business days.\n'
            '\n'
            'Where to check:\n'
            '\n'
            "Payouts > (payout) shows the status, the bank trace number and the line items (sales, refunds, fees). If a payout is marked paid but isn't in your bank after 2 business days, give your bank the trace number."
        ),
        "tags": 'payout, payouts, withdrawal, disbursement, settlement, schedule, cut-off, cutoff, late payout, missing payout, delayed, bank transfer, ACH, SEPA, reserve, hold, returned payout, R01, R03',
        "ticket_types": 'external_ops_problem, internal_ops_problem',
        "tiers": '',
    },
    {
        "title": 'Why was my card declined?',
        "body": (
            'Most declines come from the bank that issued the card, not from us. The bank decides, and it usually gives us only a short reason.\n'
            '\n'
            'Common reasons:\n'
            '\n'
            '- `do_not_honor` / generic decline - the bank refused without saying why. Often it suspects fraud.\n'
            '- `insufficient_funds` - not enough money, or a daily or online spending limit was reached.\n'
            "- `authentication_required` - the 3-D Secure check (bank popup or app approval) wasn't finished or timed out.\n"
            '- `expired_card` or `incorrect_cvc` - card details are out of date or mistyped.\n'
            "- `card_not_supported` - the card can't be used online, abroad or for subscriptions. Many prepaid and domestic-only cards are like this.\n"
            "- Billing address or postcode doesn't match what the bank has.\n"
            '\n'
            'What to do:\n'
            '\n'
            '- Check the card number, expiry, CVC and billing postcode.\n'
            "- Try again and finish the bank's verification step. Open the link in your phone's browser, not an in-app browser.\n"
            '- Call the number on the back of your card and ask the bank to allow the payment, or raise your online limit.\n'
            '- Try another card or payment method.\n'
            '\n'
            "Trying the same card many times in a row won't help, and the bank may block it for a while.\n"
            '\n'
            'For merchants:\n'
            '\n'
            "The decline code is on each payment in your dashboard. If whole card brands (e.g. Amex) or all foreign cards are declined, check your account's payment methods and risk rules, or contact support."
        ),
        "tags": "declined, decline, card declined, rejected, refused, won't go through, bounced, payment failed, do not honor, insufficient funds, 3ds, credit card, cc, card_not_supported, checkout",
        "ticket_types": 'external_ops_problem',
        "tiers": '',
    },
    {
        "title": 'Why is my order stuck in payment_pending?',
        "body": (
            "`payment_pending` means we've started the payment but don't know the final result yet. Don't ship the order until it changes to `paid`.\n"
            '\n'
            'Usual causes and how long they take:\n'
            '\n'
            '- 3-D Secure not finished - the customer still has to approve the payment with their bank. It expires after 30 minutes; send a new payment link from the order page.\n'
            '- Bank transfer - we wait for the money to arrive, which takes up to 2 business days. Transfers without the right reference have to be matched by hand.\n'
            '- SEPA Direct Debit - up to 5 business days to confirm.\n'
            "- Manual capture - the card is authorised but you haven't captured it yet. Authorisations expire after 7 days.\n"
            '- Risk review - some payments are checked by hand, usually within a few hours.\n'
            '\n'
            'What you can do:\n'
            '\n'
            "- Open the payment in your dashboard. The timeline shows what it's waiting for.\n"
            '- Subscribe to `payment.succeeded` and `payment.failed` so your system updates by itself, instead of polling.\n'
            '- If a card payment has been pending for more than 24 hours with no 3-D Secure or capture step, contact support with the item id (e.g. `item_381`).\n'
            '\n'
            'A customer may see a pending authorisation on their statement while the payment is pending. If the payment fails, it drops off within 7 days.'
        ),
        "tags": 'payment_pending, pending, stuck, processing, not completed, awaiting payment, 3ds, bank transfer, sepa, manual capture, authorisation, order status, item',
        "ticket_types": 'external_ops_problem',
        "tiers": '',
    },
    {
        "title": 'Dedicated prelive environments for partners',
        "body": (
            "Premium partners can ask for a dedicated prelive environment. It's a separate copy of prelive, just for your team, with its own capacity. Outages and load on the shared prelive don't affect it.\n"
            '\n'
            'What you get:\n'
            '\n'
            '- Your own base URL, e.g. `https://yourname.prelive.example-payments.com/v2`, and its own `sk_test_` / `pk_test_` keys.\n'
            '- The same test cards as shared prelive, plus test cards made for your own card programmes.\n'
            '- Rate limits of 100 req/s (shared prelive allows 25), so you can run load tests.\n'
            "- Up to 7 days' notice before we deploy new versions there, so you can test against a release before it goes live.\n"
            '- Uptime targets under your partner SLA, and incidents handled through the premium support channel.\n'
            '\n'
            'How to request one:\n'
            '\n'
            'Ask in the premium support channel and tell us:\n'
            '\n'
            '- the partner account (`acct_...`)\n'
            '- who needs access\n'
            '- the API version you want pinned\n'
            '- any special test scenarios you need\n'
            '\n'
            'Setting it up usually takes 2 business days.\n'
            '\n'
            'Notes:\n'
            '\n'
            '- Data is reset only when you ask, not on the shared schedule.\n'
            '- Webhook signing secrets and endpoints are separate from shared prelive, so set them up again.\n'
            "- It's a test environment: real cards are refused and no money moves."
        ),
        "tags": 'dedicated prelive, private sandbox, partner, premium, staging environment, load testing, prelive outage, SLA, test environment, 502 prelive',
        "ticket_types": 'external_dev_inquiry, external_dev_problem',
        "tiers": 'premium',
    },
]
