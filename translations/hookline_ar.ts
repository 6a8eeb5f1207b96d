<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ar">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Hookline</source>
        <translation>حول Hookline</translation>
    </message>
    <message>
        <source>A desktop console for contact-center webhook integrations: register endpoints, fire test events, and see every request and response.</source>
        <translation>وحدة تحكم مكتبية لتكاملات خطافات الويب في مراكز الاتصال: سجّل نقاط النهاية، وأطلق أحداثًا تجريبية، وشاهد كل طلب وكل استجابة.</translation>
    </message>
    <message>
        <source>Copy version info</source>
        <translation>نسخ معلومات الإصدار</translation>
    </message>
    <message>
        <source>Hookline %1
Qt %2 (built with %3)
%4</source>
        <translation>Hookline ⁨%1⁩
Qt ⁨%2⁩ (بُني باستخدام ⁨%3⁩)
⁨%4⁩</translation>
    </message>
</context>
<context>
    <name>ActivityChart</name>
    <message>
        <source>%1 s</source>
        <translation>⁨%1⁩ ث</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>⁨%1⁩ ملي ثانية</translation>
    </message>
    <message>
        <source>Attempts by outcome</source>
        <translation>المحاولات حسب النتيجة</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>زمن الاستجابة</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>⁨%1⁩ – ⁨%2⁩</translation>
    </message>
    <message>
        <source>%1
%2 attempts: %3 succeeded, %4 failed and retried, %5 failed</source>
        <translation>⁨%1⁩
⁨%2⁩ محاولة: ⁨%3⁩ ناجحة، ⁨%4⁩ فاشلة أُعيدت، ⁨%5⁩ فاشلة</translation>
    </message>
    <message>
        <source>%1
no attempts</source>
        <translation>⁨%1⁩
لا محاولات</translation>
    </message>
    <message>
        <source>%1
p50 %2 · p95 %3 · p99 %4</source>
        <translation>⁨%1⁩
⁦p50⁩ ⁨%2⁩ · ⁦p95⁩ ⁨%3⁩ · ⁦p99⁩ ⁨%4⁩</translation>
    </message>
    <message>
        <source>%1 attempts: %2 succeeded, %3 failed and retried, %4 failed.</source>
        <translation>⁨%1⁩ محاولة: ⁨%2⁩ ناجحة، ⁨%3⁩ فاشلة أُعيدت، ⁨%4⁩ فاشلة.</translation>
    </message>
    <message>
        <source>No attempts.</source>
        <translation>لا محاولات.</translation>
    </message>
    <message>
        <source>Latency p50 %1, p95 %2, p99 %3.</source>
        <translation>زمن الاستجابة ⁦p50⁩ ⁨%1⁩، ⁦p95⁩ ⁨%2⁩، ⁦p99⁩ ⁨%3⁩.</translation>
    </message>
    <message>
        <source>Succeeded</source>
        <translation>ناجحة</translation>
    </message>
    <message>
        <source>Failed, retried</source>
        <translation>فاشلة أُعيدت</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>فاشلة</translation>
    </message>
    <message>
        <source>p50</source>
        <translation>⁦p50⁩</translation>
    </message>
    <message>
        <source>p95</source>
        <translation>⁦p95⁩</translation>
    </message>
    <message>
        <source>p99</source>
        <translation>⁦p99⁩</translation>
    </message>
    <message>
        <source>No attempts in this period</source>
        <translation>لا محاولات في هذه الفترة</translation>
    </message>
</context>
<context>
    <name>ApiToken</name>
    <message>
        <source>A token needs a name of 1 to 64 characters (who or what uses it), not “%1”.</source>
        <translation>يحتاج الرمز إلى اسم من 1 إلى 64 حرفًا (من يستخدمه أو ما يستخدمه)، لا «⁨%1⁩».</translation>
    </message>
    <message>
        <source>The token name “%1” contains a control character.</source>
        <translation>اسم الرمز «⁨%1⁩» يحتوي على محرف تحكّم.</translation>
    </message>
</context>
<context>
    <name>DatabaseUrl</name>
    <message>
        <source>“%1” names no file. Write sqlite:PATH, for example sqlite:/var/lib/hookline/hookline.sqlite.</source>
        <translation>«⁨%1⁩» لا يسمّي أي ملف. اكتب ⁦sqlite:PATH⁩، مثل ⁦sqlite:/var/lib/hookline/hookline.sqlite⁩.</translation>
    </message>
    <message>
        <source>“%1” is not a database URL Hookline knows. Write sqlite:PATH for a file, or postgresql://USER@HOST:PORT/DBNAME for a PostgreSQL database.</source>
        <translation>«⁨%1⁩» ليس عنوان قاعدة بيانات يعرفه Hookline. اكتب ⁦sqlite:PATH⁩ لملف، أو ⁦postgresql://USER@HOST:PORT/DBNAME⁩ لقاعدة بيانات PostgreSQL.</translation>
    </message>
    <message>
        <source>“%1” is not a valid PostgreSQL URL. Write it as postgresql://USER@HOST:PORT/DBNAME (a password may follow the user after a colon, percent-encoded).</source>
        <translation>«⁨%1⁩» ليس عنوان PostgreSQL صالحًا. اكتبه هكذا: ⁦postgresql://USER@HOST:PORT/DBNAME⁩ (يمكن أن تلي كلمةُ المرور اسمَ المستخدم بعد نقطتين، مرمّزةً بالنسبة المئوية).</translation>
    </message>
    <message>
        <source>The PostgreSQL URL names no server. Write the host after “postgresql://”, for example postgresql://hookline@db.example.com/hookline.</source>
        <translation>عنوان PostgreSQL لا يسمّي أي خادم. اكتب المضيف بعد «⁦postgresql://⁩»، مثل ⁦postgresql://hookline@db.example.com/hookline⁩.</translation>
    </message>
    <message>
        <source>The port in the PostgreSQL URL must be 1–65535.</source>
        <translation>يجب أن يكون المنفذ في عنوان PostgreSQL بين 1 و65535.</translation>
    </message>
    <message>
        <source>The port “%1” in the PostgreSQL URL must be a number from 1 to 65535 (PostgreSQL&apos;s own is 5432).</source>
        <translation>يجب أن يكون المنفذ «⁨%1⁩» في عنوان PostgreSQL رقمًا من 1 إلى 65535 (منفذ PostgreSQL المعتاد 5432).</translation>
    </message>
    <message>
        <source>The PostgreSQL URL %1 names no database, or more than one. End it with /DBNAME, for example …:5432/hookline.</source>
        <translation>عنوان PostgreSQL ‏⁨%1⁩ لا يسمّي قاعدة بيانات، أو يسمّي أكثر من واحدة. اختمه بـ ⁦/DBNAME⁩، مثل ⁦…:5432/hookline⁩.</translation>
    </message>
    <message>
        <source>sslmode “%1” is not one PostgreSQL knows: use %2.</source>
        <translation>القيمة «⁨%1⁩» لـ ⁦sslmode⁩ لا يعرفها PostgreSQL: استخدم ⁨%2⁩.</translation>
    </message>
    <message>
        <source>connect_timeout “%1” must be a number of seconds from 1 to 600.</source>
        <translation>يجب أن تكون ⁦connect_timeout⁩ «⁨%1⁩» عددًا من الثواني من 1 إلى 600.</translation>
    </message>
    <message>
        <source>The PostgreSQL URL has an option Hookline does not use: “%1”. It takes sslmode and connect_timeout.</source>
        <translation>يحتوي عنوان PostgreSQL على خيار لا يستخدمه Hookline: «⁨%1⁩». يقبل ⁦sslmode⁩ و⁦connect_timeout⁩.</translation>
    </message>
</context>
<context>
    <name>DeliveryDetailsView</name>
    <message>
        <source>… %1 more bytes</source>
        <translation>… ⁨%1⁩ بايت إضافية</translation>
    </message>
    <message>
        <source>Copy a curl command that repeats this request</source>
        <translation>نسخ أمر curl يعيد هذا الطلب</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>الطلب</translation>
    </message>
    <message>
        <source>Select a delivery to see its request.</source>
        <translation>اختر عملية تسليم لرؤية طلبها.</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>الاستجابة</translation>
    </message>
    <message>
        <source>…and what came back.</source>
        <translation>…وما عاد منها.</translation>
    </message>
    <message>
        <source>(empty body)</source>
        <translation>(متن فارغ)</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; to &lt;b&gt;%2&lt;/b&gt; · attempt %3 (%4) · %5 ms · %6</source>
        <translation>&lt;b&gt;⁨%1⁩&lt;/b&gt; إلى &lt;b&gt;⁨%2⁩&lt;/b&gt; · المحاولة ⁨%3⁩ (⁨%4⁩) · ⁨%5⁩ ملي ثانية · ⁨%6⁩</translation>
    </message>
    <message>
        <source>(%1 of %2 bytes kept)</source>
        <translation>(حُفظ ⁨%1⁩ من ⁨%2⁩ بايت)</translation>
    </message>
    <message>
        <source>No response: %1</source>
        <translation>لا استجابة: ⁨%1⁩</translation>
    </message>
    <message>
        <source>Waiting for the response…</source>
        <translation>في انتظار الاستجابة…</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · delivery &lt;code&gt;%2&lt;/code&gt; · %3: no attempt is recorded for it.</source>
        <translation>&lt;b&gt;⁨%1⁩&lt;/b&gt; · التسليم &lt;code&gt;⁨%2⁩&lt;/code&gt; · ⁨%3⁩: لا توجد محاولة مسجلة له.</translation>
    </message>
    <message>
        <source>webhook-id &lt;code&gt;%1&lt;/code&gt; · delivery &lt;code&gt;%2&lt;/code&gt;</source>
        <translation>webhook-id &lt;code&gt;⁨%1⁩&lt;/code&gt; · التسليم &lt;code&gt;⁨%2⁩&lt;/code&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · delivery &lt;code&gt;%2&lt;/code&gt; · held behind &lt;code&gt;%3&lt;/code&gt; (order key %4): sent once that delivery succeeds or gives up.</source>
        <translation>&lt;b&gt;⁨%1⁩&lt;/b&gt; · التسليم &lt;code&gt;⁨%2⁩&lt;/code&gt; · محجوز خلف &lt;code&gt;⁨%3⁩&lt;/code&gt; (مفتاح الترتيب ⁨%4⁩): يُرسل حين ينجح ذلك التسليم أو يتوقف.</translation>
    </message>
    <message>
        <source>Cop&amp;y as cURL</source>
        <translation>نسخ كأمر ⁦cURL⁩ (&amp;Y)</translation>
    </message>
</context>
<context>
    <name>DeliveryExport</name>
    <message>
        <source>Writing the export failed: %1</source>
        <translation>فشلت كتابة ملف التصدير: ⁨%1⁩</translation>
    </message>
</context>
<context>
    <name>Dispatcher</name>
    <message>
        <source>Hookline is shutting down; the event was not sent.</source>
        <translation>يتوقف Hookline عن العمل؛ لم يُرسل الحدث.</translation>
    </message>
    <message>
        <source>There is no endpoint %1.</source>
        <translation>لا توجد نقطة نهاية ⁨%1⁩.</translation>
    </message>
    <message>
        <source>The endpoint “%1” is disabled%2. Enable it first.</source>
        <translation>نقطة النهاية «⁨%1⁩» معطّلة⁨%2⁩. فعّلها أولًا.</translation>
    </message>
    <message>
        <source>No enabled endpoint subscribes to %1. Add one, or subscribe an endpoint to this event.</source>
        <translation>لا توجد نقطة نهاية مفعّلة مشتركة في ⁨%1⁩. أضف واحدة، أو اشترك بنقطة نهاية في هذا الحدث.</translation>
    </message>
    <message>
        <source>The endpoint was removed.</source>
        <translation>أُزيلت نقطة النهاية.</translation>
    </message>
    <message>
        <source>The endpoint is disabled%1.</source>
        <translation>نقطة النهاية معطّلة⁨%1⁩.</translation>
    </message>
    <message>
        <source>The endpoint answered %1 but did not finish the response within the %2 ms timeout; the attempt was cut off.</source>
        <translation>أجابت نقطة النهاية بـ ⁨%1⁩ لكنها لم تُكمل الاستجابة خلال مهلة ⁨%2⁩ ملي ثانية؛ قُطعت المحاولة.</translation>
    </message>
    <message>
        <source>No answer from %1 within the endpoint&apos;s timeout; the attempt was cut off.</source>
        <translation>لا إجابة من ⁨%1⁩ خلال مهلة نقطة النهاية؛ قُطعت المحاولة.</translation>
    </message>
    <message>
        <source>Redirects are not followed: the endpoint answered %1 %2 pointing to %3. Register the final URL instead.</source>
        <translation>لا تُتّبع عمليات إعادة التوجيه: أجابت نقطة النهاية بـ ⁨%1⁩ ⁨%2⁩ مشيرةً إلى ⁨%3⁩. سجّل عنوان URL النهائي بدلًا منه.</translation>
    </message>
    <message>
        <source>nowhere</source>
        <translation>لا مكان</translation>
    </message>
    <message>
        <source>The endpoint answered %1 %2.</source>
        <translation>أجابت نقطة النهاية بـ ⁨%1⁩ ⁨%2⁩.</translation>
    </message>
    <message>
        <source>The response body was longer than %1 KiB; Hookline read that much and discarded the rest.</source>
        <translation>كان متن الاستجابة أطول من ⁨%1⁩ كيلوبايت؛ قرأ Hookline هذا القدر وتجاهل الباقي.</translation>
    </message>
    <message>
        <source>The host name %1 could not be resolved (DNS). Check the URL&apos;s spelling, or the machine&apos;s DNS settings.</source>
        <translation>تعذّر تحليل اسم المضيف ⁨%1⁩ (DNS). تحقق من كتابة عنوان URL أو من إعدادات DNS في الجهاز.</translation>
    </message>
    <message>
        <source>Connection refused by %1: nothing is listening there. Is the receiver running, and is the port right?</source>
        <translation>رفض ⁨%1⁩ الاتصال: لا شيء يستمع هناك. هل المستقبِل قيد التشغيل، وهل المنفذ صحيح؟</translation>
    </message>
    <message>
        <source>%1 did not answer in time.</source>
        <translation>لم يُجب ⁨%1⁩ في الوقت المحدد.</translation>
    </message>
    <message>
        <source>The TLS handshake with %1 failed: %2. Fix the server&apos;s certificate, or turn off TLS verification for this endpoint (for testing only).</source>
        <translation>فشلت مصافحة TLS مع ⁨%1⁩: ⁨%2⁩. أصلح شهادة الخادم، أو أوقف التحقق من TLS لنقطة النهاية هذه (للاختبار فقط).</translation>
    </message>
    <message>
        <source>The attempt was aborted before an answer arrived.</source>
        <translation>أُلغيت المحاولة قبل وصول إجابة.</translation>
    </message>
    <message>
        <source>%1 closed the connection without answering.</source>
        <translation>أغلق ⁨%1⁩ الاتصال دون إجابة.</translation>
    </message>
    <message>
        <source>The request to %1 failed: %2.</source>
        <translation>فشل الطلب إلى ⁨%1⁩: ⁨%2⁩.</translation>
    </message>
    <message>
        <source>answered 410 Gone at %1</source>
        <translation>أجابت بـ 410 Gone في ⁨%1⁩</translation>
    </message>
    <message numerus="yes">
        <source>%n deliveries in a row failed</source>
        <translation>
            <numerusform>لم تفشل أي عملية تسليم (⁨⁨%n⁩⁩)</numerusform>
            <numerusform>فشلت عملية تسليم واحدة</numerusform>
            <numerusform>فشلت عمليتا تسليم متتاليتان</numerusform>
            <numerusform>فشلت ⁨⁨%n⁩⁩ عمليات تسليم متتالية</numerusform>
            <numerusform>فشلت ⁨⁨%n⁩⁩ عملية تسليم متتالية</numerusform>
            <numerusform>فشلت ⁨⁨%n⁩⁩ عملية تسليم متتالية</numerusform>
        </translation>
    </message>
    <message>
        <source>Delivery %1 is being attempted right now.</source>
        <translation>تجري الآن محاولة التسليم ⁨%1⁩.</translation>
    </message>
    <message>
        <source>The endpoint of delivery %1 was removed.</source>
        <translation>أُزيلت نقطة النهاية الخاصة بعملية التسليم ⁨%1⁩.</translation>
    </message>
    <message>
        <source>The database cannot be written.</source>
        <translation>لا يمكن الكتابة في قاعدة البيانات.</translation>
    </message>
    <message>
        <source>The delivery could not be recorded, so it was not sent: %1. %2</source>
        <translation>تعذّر تسجيل التسليم، لذا لم يُرسَل: ⁨%1⁩. ⁨%2⁩</translation>
    </message>
    <message>
        <source>No address found.</source>
        <translation>لم يُعثر على أي عنوان.</translation>
    </message>
    <message>
        <source>Host %1 not found: %2</source>
        <translation>لم يُعثر على المضيف ⁨%1⁩: ⁨%2⁩</translation>
    </message>
</context>
<context>
    <name>EgressPolicy</name>
    <message>
        <source>%1 (%2)</source>
        <translation>⁨%1⁩ (⁨%2⁩)</translation>
    </message>
    <message>
        <source>The address %1 is not public, and the egress policy is “public-only”. Add the host or its range to the policy&apos;s allow-list if it should be reached.</source>
        <translation>العنوان ⁨%1⁩ ليس عامًّا، وسياسة الخروج هي «⁦public-only⁩». أضف المضيف أو نطاقه إلى قائمة السماح في السياسة إن كان يجب الوصول إليه.</translation>
    </message>
    <message>
        <source>The address %1 is link-local, cloud metadata or otherwise not routable, which the egress policy “no-link-local” blocks. Add the host or its range to the policy&apos;s allow-list if it should be reached.</source>
        <translation>العنوان ⁨%1⁩ محلي الرابط أو عنوان بيانات وصفية سحابية أو غير قابل للتوجيه، وهذا ما تحظره سياسة الخروج «⁦no-link-local⁩». أضف المضيف أو نطاقه إلى قائمة السماح في السياسة إن كان يجب الوصول إليه.</translation>
    </message>
</context>
<context>
    <name>EndpointDialog</name>
    <message>
        <source>Add endpoint</source>
        <translation>إضافة نقطة نهاية</translation>
    </message>
    <message>
        <source>Edit endpoint “%1”</source>
        <translation>تحرير نقطة النهاية «⁨%1⁩»</translation>
    </message>
    <message>
        <source>CRM call log</source>
        <translation>سجل مكالمات CRM</translation>
    </message>
    <message>
        <source>&amp;Name</source>
        <translation>الاسم (&amp;N)</translation>
    </message>
    <message>
        <source>https://crm.example.com/hooks/calls</source>
        <translation>⁦https://crm.example.ae/hooks/calls⁩</translation>
    </message>
    <message>
        <source>Use a local test &amp;inbox</source>
        <translation>استخدام صندوق اختبار محلي (&amp;I)</translation>
    </message>
    <message>
        <source>Point this endpoint at Hookline&apos;s built-in receiver</source>
        <translation>توجيه نقطة النهاية هذه إلى المستقبِل المدمج في Hookline</translation>
    </message>
    <message>
        <source>&amp;URL</source>
        <translation>عنوان URL (&amp;U)</translation>
    </message>
    <message>
        <source>Descri&amp;ption</source>
        <translation>الوصف (&amp;P)</translation>
    </message>
    <message>
        <source>Deliver events to this endpoint</source>
        <translation>تسليم الأحداث إلى نقطة النهاية هذه</translation>
    </message>
    <message>
        <source>&amp;Enabled</source>
        <translation>مفعّلة (&amp;E)</translation>
    </message>
    <message>
        <source>Disabled by Hookline: %1</source>
        <translation>عطّلها Hookline: ⁨%1⁩</translation>
    </message>
    <message>
        <source>&amp;All events, including ones added later</source>
        <translation>كل الأحداث، بما فيها ما يُضاف لاحقًا (&amp;A)</translation>
    </message>
    <message>
        <source>E&amp;vents</source>
        <translation>الأحداث (&amp;V)</translation>
    </message>
    <message>
        <source>JSON (application/json)</source>
        <translation>JSON (application/json)</translation>
    </message>
    <message>
        <source>XML (application/xml)</source>
        <translation>XML (application/xml)</translation>
    </message>
    <message>
        <source>Form (application/x-www-form-urlencoded)</source>
        <translation>نموذج (application/x-www-form-urlencoded)</translation>
    </message>
    <message>
        <source>&amp;Format</source>
        <translation>التنسيق (&amp;F)</translation>
    </message>
    <message>
        <source>Header</source>
        <translation>الترويسة</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>القيمة</translation>
    </message>
    <message>
        <source>Custom headers</source>
        <translation>ترويسات مخصصة</translation>
    </message>
    <message>
        <source>Add &amp;header</source>
        <translation>إضافة ترويسة (&amp;H)</translation>
    </message>
    <message>
        <source>Remove header</source>
        <translation>إزالة الترويسة</translation>
    </message>
    <message>
        <source>&amp;Custom headers</source>
        <translation>ترويسات مخصصة (&amp;C)</translation>
    </message>
    <message>
        <source>empty: deliveries are not signed</source>
        <translation>فارغ: لا تُوقّع عمليات التسليم</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>توليد (&amp;G)</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>إظهار</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>نسخ</translation>
    </message>
    <message>
        <source>&amp;Rotate</source>
        <translation>تدوير (&amp;R)</translation>
    </message>
    <message>
        <source>New secret; the current one stays valid for 24 hours</source>
        <translation>سرّ جديد؛ يبقى السرّ الحالي صالحًا لمدة 24 ساعة</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>إخفاء</translation>
    </message>
    <message>
        <source>Signing &amp;secret</source>
        <translation>سرّ التوقيع (&amp;S)</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ملي ثانية</translation>
    </message>
    <message>
        <source>&amp;Timeout</source>
        <translation>المهلة (&amp;T)</translation>
    </message>
    <message>
        <source>Ma&amp;x attempts</source>
        <translation>أقصى عدد للمحاولات (&amp;X)</translation>
    </message>
    <message>
        <source>Seconds to wait before each retry, e.g. 5, 300, 1800</source>
        <translation>الثواني قبل كل إعادة محاولة، مثل 5، 300، 1800</translation>
    </message>
    <message>
        <source>Retry &amp;delays (s)</source>
        <translation>فترات إعادة المحاولة (ث) (&amp;D)</translation>
    </message>
    <message>
        <source>never</source>
        <translation>أبدًا</translation>
    </message>
    <message>
        <source> failed deliveries in a row</source>
        <translation> عمليات تسليم فاشلة متتالية</translation>
    </message>
    <message>
        <source>Disab&amp;le after</source>
        <translation>تعطيل بعد (&amp;L)</translation>
    </message>
    <message>
        <source>Verify TLS certificates (turn off only for testing)</source>
        <translation>التحقق من شهادات TLS (لا توقفه إلا للاختبار)</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>HTTP/2 without TLS (prior knowledge)</source>
        <translation>HTTP/2 دون TLS (معرفة مسبقة)</translation>
    </message>
    <message>
        <source>HTTP/2</source>
        <translation>HTTP/2</translation>
    </message>
    <message>
        <source>Local test inbox</source>
        <translation>صندوق اختبار محلي</translation>
    </message>
    <message>
        <source>“%1” is not a number of seconds. Write the delays like 5, 300, 1800.</source>
        <translation>«⁨%1⁩» ليس عددًا من الثواني. اكتب الفترات هكذا: 5, 300, 1800.</translation>
    </message>
    <message>
        <source>&amp;Only HTTP/1.1, even if the server offers HTTP/2</source>
        <translation>استخدام ⁦HTTP/1.1⁩ فقط، حتى إن عرض الخادم ⁦HTTP/2⁩ (&amp;O)</translation>
    </message>
    <message>
        <source>HTTP/1.1</source>
        <translation>⁦HTTP/1.1⁩</translation>
    </message>
    <message>
        <source> attempts at once</source>
        <translation> محاولة في آن واحد</translation>
    </message>
    <message>
        <source>How many deliveries to this endpoint may be under way at the same time. A slow receiver needs more; 1 sends one at a time.</source>
        <translation>عدد عمليات التسليم إلى نقطة النهاية هذه التي يمكن أن تجري في الوقت نفسه. المستقبِل البطيء يحتاج إلى أكثر؛ والقيمة 1 ترسلها واحدة تلو الأخرى.</translation>
    </message>
    <message>
        <source>Concurrenc&amp;y</source>
        <translation>التزامن (&amp;Y)</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>بلا حد</translation>
    </message>
    <message>
        <source> per second</source>
        <translation> في الثانية</translation>
    </message>
    <message>
        <source>The most deliveries started per second, on average, for receivers that throttle. Deliveries beyond it wait their turn; none are lost.</source>
        <translation>أقصى عدد من عمليات التسليم التي تبدأ في الثانية، في المتوسط، للمستقبِلات التي تحدّ من المعدل. ما يزيد عليه ينتظر دوره؛ ولا يضيع شيء.</translation>
    </message>
    <message>
        <source>Rate li&amp;mit</source>
        <translation>حد المعدل (&amp;M)</translation>
    </message>
    <message>
        <source>the rate, rounded up</source>
        <translation>المعدل مقرّبًا إلى الأعلى</translation>
    </message>
    <message>
        <source>How many deliveries may start at once after a quiet spell.</source>
        <translation>عدد عمليات التسليم التي يمكن أن تبدأ دفعة واحدة بعد فترة هدوء.</translation>
    </message>
    <message>
        <source>&amp;Burst</source>
        <translation>الدفعة (&amp;B)</translation>
    </message>
    <message>
        <source>off — for example /callID</source>
        <translation>معطّل — مثلًا ⁦/callID⁩</translation>
    </message>
    <message>
        <source>A field of the payload, as a JSON pointer. Deliveries whose payloads hold the same value there reach this endpoint one at a time, in the order they were published; a failing one holds the later ones back until it succeeds or gives up.</source>
        <translation>حقل من الحمولة، على شكل مؤشر ⁦JSON⁩. عمليات التسليم التي تحمل حمولاتها القيمة نفسها فيه تصل إلى نقطة النهاية هذه واحدة تلو الأخرى، بترتيب نشرها؛ والتسليم المتعثر يحجز ما بعده حتى ينجح أو يتوقف.</translation>
    </message>
    <message>
        <source>Order &amp;key</source>
        <translation>مفتاح الترتيب (&amp;K)</translation>
    </message>
</context>
<context>
    <name>EndpointValidation</name>
    <message>
        <source>a space</source>
        <translation>مسافة</translation>
    </message>
    <message>
        <source>a tab</source>
        <translation>علامة جدولة</translation>
    </message>
    <message>
        <source>a carriage return (CR)</source>
        <translation>إرجاع العربة (CR)</translation>
    </message>
    <message>
        <source>a line feed (LF)</source>
        <translation>سطر جديد (LF)</translation>
    </message>
    <message>
        <source>a NUL byte</source>
        <translation>بايت NUL</translation>
    </message>
    <message>
        <source>the control character U+%1</source>
        <translation>محرف التحكم U+⁨%1⁩</translation>
    </message>
    <message>
        <source>Enter the URL that should receive the webhooks, for example https://crm.example.com/hooks/calls.</source>
        <translation>أدخل عنوان URL الذي يجب أن يستقبل خطافات الويب، مثل ⁦https://crm.example.ae/hooks/calls⁩.</translation>
    </message>
    <message>
        <source>The URL %1 is %2 characters long; the limit is %3. Use a shorter path or move parameters into a header.</source>
        <translation>طول عنوان URL ⁨%1⁩ هو ⁨%2⁩ محرفًا؛ والحد ⁨%3⁩. استخدم مسارًا أقصر أو انقل المعاملات إلى ترويسة.</translation>
    </message>
    <message>
        <source>The URL %1 contains %2 at position %3. Remove it, or percent-encode it (a space is %20).</source>
        <translation>يحتوي عنوان URL ⁨%1⁩ على ⁨%2⁩ في الموضع ⁨%3⁩. احذفه أو رمّزه بالنسبة المئوية (المسافة تُكتب ⁦%20⁩).</translation>
    </message>
    <message>
        <source>%1 has no scheme. Start it with https:// (or http:// for a local test server).</source>
        <translation>⁨%1⁩ بلا مخطط. ابدأه بـ ⁦https://⁩ (أو ⁦http://⁩ لخادم اختبار محلي).</translation>
    </message>
    <message>
        <source>%1 uses the scheme “%2”; webhooks are delivered only over http:// and https://.</source>
        <translation>يستخدم ⁨%1⁩ المخطط «⁨%2⁩»؛ لا تُسلَّم خطافات الويب إلا عبر ⁦http://⁩ و ⁦https://⁩.</translation>
    </message>
    <message>
        <source>%1 has no host name. Write it as %2://host[:port]/path.</source>
        <translation>⁨%1⁩ بلا اسم مضيف. اكتبه بالشكل ⁦%2://host[:port]/path⁩.</translation>
    </message>
    <message>
        <source>The host name “%1” in %2 is not a valid internationalized (IDNA) name.</source>
        <translation>اسم المضيف «⁨%1⁩» في ⁨%2⁩ ليس اسمًا دوليًا (IDNA) صالحًا.</translation>
    </message>
    <message>
        <source>%1 has a fragment (#%2), which is never sent to the server. Remove it.</source>
        <translation>يحتوي ⁨%1⁩ على جزء (#⁨%2⁩) لا يُرسل إلى الخادم أبدًا. احذفه.</translation>
    </message>
    <message>
        <source>A custom header has no name. Give it a name such as X-Api-Key, or remove the row.</source>
        <translation>إحدى الترويسات المخصصة بلا اسم. سمّها باسم مثل X-Api-Key، أو احذف الصف.</translation>
    </message>
    <message>
        <source>The header name %1 contains %2, which is not allowed in a header name. Use letters, digits and !#$%&amp;&apos;*+-.^_`|~ only.</source>
        <translation>يحتوي اسم الترويسة ⁨%1⁩ على ⁨%2⁩، وهو غير مسموح في اسم ترويسة. استخدم الحروف والأرقام و !#$%&amp;&apos;*+-.^_`|~ فقط.</translation>
    </message>
    <message>
        <source>The header %1 is set by Hookline itself and cannot be overridden. Remove it.</source>
        <translation>الترويسة ⁨%1⁩ يضبطها Hookline نفسه ولا يمكن تجاوزها. احذفها.</translation>
    </message>
    <message>
        <source>The value of header %1 contains a line break (%2), which would inject extra headers into the request. Remove it: %3</source>
        <translation>تحتوي قيمة الترويسة ⁨%1⁩ على فاصل أسطر (⁨%2⁩) من شأنه حقن ترويسات إضافية في الطلب. احذفه: ⁨%3⁩</translation>
    </message>
    <message>
        <source>The value of header %1 contains a NUL byte. Remove it: %2</source>
        <translation>تحتوي قيمة الترويسة ⁨%1⁩ على بايت NUL. احذفه: ⁨%2⁩</translation>
    </message>
    <message>
        <source>The value of header %1 contains %2. Remove it: %3</source>
        <translation>تحتوي قيمة الترويسة ⁨%1⁩ على ⁨%2⁩. احذفه: ⁨%3⁩</translation>
    </message>
    <message>
        <source>The value of header %1 is %2 characters long; the limit is %3.</source>
        <translation>طول قيمة الترويسة ⁨%1⁩ هو ⁨%2⁩ محرفًا؛ والحد ⁨%3⁩.</translation>
    </message>
    <message>
        <source>The header %1 is listed twice. Keep one row and put the value there.</source>
        <translation>الترويسة ⁨%1⁩ مذكورة مرتين. أبقِ صفًا واحدًا وضع القيمة فيه.</translation>
    </message>
    <message>
        <source>The signing secret must start with “whsec_” followed by base64; %1 does not. Use Generate to create one.</source>
        <translation>يجب أن يبدأ سرّ التوقيع بـ «whsec_» متبوعًا بترميز base64؛ و⁨%1⁩ ليس كذلك. استخدم «توليد» لإنشاء سرّ.</translation>
    </message>
    <message>
        <source>The part of the signing secret after “whsec_” is not valid base64. Use Generate to create a new secret.</source>
        <translation>الجزء الذي يلي «whsec_» في سرّ التوقيع ليس base64 صالحًا. استخدم «توليد» لإنشاء سرّ جديد.</translation>
    </message>
    <message>
        <source>The signing secret holds %1 bytes; it must hold 24 to 64 random bytes. Use Generate to create one.</source>
        <translation>يحوي سرّ التوقيع ⁨%1⁩ بايت؛ ويجب أن يحوي من 24 إلى 64 بايتًا عشوائيًا. استخدم «توليد» لإنشاء سرّ.</translation>
    </message>
    <message>
        <source>Maximum attempts is %1; choose between 1 and %2.</source>
        <translation>الحد الأقصى للمحاولات هو ⁨%1⁩؛ اختر بين 1 و⁨%2⁩.</translation>
    </message>
    <message>
        <source>The retry schedule is empty but %1 attempts are allowed. Add at least one delay, for example 5, 300, 1800 (seconds).</source>
        <translation>جدول إعادة المحاولة فارغ مع أن ⁨%1⁩ محاولات مسموح بها. أضف فترة واحدة على الأقل، مثل 5, 300, 1800 (ثوانٍ).</translation>
    </message>
    <message>
        <source>The retry delay %1 s is out of range; each delay must be between 0 s and %2 s (one week).</source>
        <translation>فترة إعادة المحاولة ⁨%1⁩ ث خارج النطاق؛ يجب أن تكون كل فترة بين 0 ث و⁨%2⁩ ث (أسبوع).</translation>
    </message>
    <message>
        <source>The name is %1 characters long; keep it under 200.</source>
        <translation>طول الاسم ⁨%1⁩ محرفًا؛ اجعله أقل من 200.</translation>
    </message>
    <message>
        <source>The timeout is %1 ms; choose between %2 ms and %3 ms.</source>
        <translation>المهلة ⁨%1⁩ ملي ثانية؛ اختر بين ⁨%2⁩ و⁨%3⁩ ملي ثانية.</translation>
    </message>
    <message>
        <source>Pick at least one event, or choose All events.</source>
        <translation>اختر حدثًا واحدًا على الأقل، أو اختر «كل الأحداث».</translation>
    </message>
    <message>
        <source>Unknown event type %1. Known types: %2.</source>
        <translation>نوع حدث غير معروف ⁨%1⁩. الأنواع المعروفة: ⁨%2⁩.</translation>
    </message>
    <message>
        <source>Cleartext HTTP/2 applies only to http:// URLs; over https:// HTTP/2 is negotiated automatically. Turn the option off or use http://.</source>
        <translation>ينطبق HTTP/2 غير المشفّر على عناوين ⁦http://⁩ فقط؛ أما عبر ⁦https://⁩ فيُتفاوض على HTTP/2 تلقائيًا. أوقف الخيار أو استخدم ⁦http://⁩.</translation>
    </message>
    <message>
        <source>%1 is not a header. Write it as “Name: value”, for example “X-Api-Key: 123”.</source>
        <translation>⁨%1⁩ ليست ترويسة. اكتبها بالشكل «الاسم: القيمة»، مثل «X-Api-Key: 123».</translation>
    </message>
    <message>
        <source>“Disable after failures” is %1; use 0 (never) or a positive count.</source>
        <translation>قيمة «التعطيل بعد الإخفاقات» هي ⁨%1⁩؛ استخدم 0 (أبدًا) أو عددًا موجبًا.</translation>
    </message>
    <message>
        <source>Give the endpoint a name, such as “CRM call log”.</source>
        <translation>أعطِ نقطة النهاية اسمًا، مثل «سجل مكالمات CRM».</translation>
    </message>
    <message>
        <source>%1 holds a user name or password, which would be stored and shown with the URL. Remove it and send the credentials in a custom header (Authorization: Basic …) instead.</source>
        <translation>يحتوي ⁨%1⁩ على اسم مستخدم أو كلمة مرور ستُخزَّن وتُعرض مع العنوان. احذفها وأرسل بيانات الاعتماد في ترويسة مخصّصة (⁦Authorization: Basic …⁩) بدلًا من ذلك.</translation>
    </message>
    <message>
        <source>%1 names port 0, which cannot be connected to. Use a port from 1 to 65535, or none for the scheme&apos;s default.</source>
        <translation>يحدّد ⁨%1⁩ المنفذ 0 الذي لا يمكن الاتصال به. استخدم منفذًا من 1 إلى 65535، أو لا تحدّد منفذًا لاستخدام منفذ المخطط الافتراضي.</translation>
    </message>
    <message>
        <source>The header %1 belongs to one connection or proxy hop, not to the webhook, and cannot be sent as a custom header. Remove it.</source>
        <translation>الترويسة ⁨%1⁩ تخصّ اتصالًا واحدًا أو قفزة وكيل، لا خطاف الويب، ولا يمكن إرسالها كترويسة مخصّصة. احذفها.</translation>
    </message>
    <message>
        <source>the invisible character U+%1</source>
        <translation>المحرف غير المرئي ⁦U+⁨%1⁩⁩</translation>
    </message>
    <message>
        <source>The rate limit is %1 deliveries per second; use 0 (no limit) or up to %2.</source>
        <translation>حد المعدل ⁨%1⁩ عملية تسليم في الثانية؛ استخدم 0 (بلا حد) أو حتى ⁨%2⁩.</translation>
    </message>
    <message>
        <source>The rate limit %1 per second is below one delivery in 100 s; use at least 0.01, or 0 for no limit.</source>
        <translation>حد المعدل ⁨%1⁩ في الثانية أقل من عملية تسليم واحدة كل 100 ثانية؛ استخدم 0.01 على الأقل، أو 0 بلا حد.</translation>
    </message>
    <message>
        <source>The burst is %1; use 0 (the rate, rounded up) or up to %2.</source>
        <translation>الدفعة ⁨%1⁩؛ استخدم 0 (المعدل مقرّبًا إلى الأعلى) أو حتى ⁨%2⁩.</translation>
    </message>
    <message>
        <source>An endpoint cannot both force HTTP/1.1 and use cleartext HTTP/2. Turn one of the two off.</source>
        <translation>لا يمكن لنقطة النهاية أن تفرض ⁦HTTP/1.1⁩ وتستخدم ⁦HTTP/2⁩ دون تشفير معًا. أوقف أحد الخيارين.</translation>
    </message>
    <message>
        <source>The concurrency is %1 attempts at once; choose from %2 to %3.</source>
        <translation>التزامن ⁨%1⁩ محاولة في آن واحد؛ اختر من ⁨%2⁩ إلى ⁨%3⁩.</translation>
    </message>
    <message>
        <source>The ordering field %1 is not a JSON pointer. Write it as a path from the payload&apos;s top, such as /callID or /agent/id.</source>
        <translation>حقل الترتيب ⁨%1⁩ ليس مؤشر ⁦JSON⁩. اكتبه مسارًا من أعلى الحمولة، مثل ⁦/callID⁩ أو ⁦/agent/id⁩.</translation>
    </message>
    <message>
        <source>%1 names the port %2; a port is a number from 1 to 65535 (or none, for the scheme&apos;s default).</source>
        <translation>يحدد ⁨%1⁩ المنفذ ⁨%2⁩؛ المنفذ رقم من 1 إلى 65535 (أو لا شيء، للمنفذ الافتراضي للمخطط).</translation>
    </message>
    <message>
        <source>The IPv6 address in %1 has no closing bracket. Write it as http://[::1]:8080/path.</source>
        <translation>عنوان ⁦IPv6⁩ في ⁨%1⁩ بلا قوس إغلاق. اكتبه هكذا: ⁦http://[::1]:8080/path⁩.</translation>
    </message>
    <message>
        <source>%1 is not a valid URL: check the host name (letters, digits, dots and hyphens, or an address) and write it as https://host[:port]/path.</source>
        <translation>⁨%1⁩ ليس عنوان URL صالحًا: تحقق من اسم المضيف (حروف وأرقام ونقاط وشرطات، أو عنوان) واكتبه هكذا: ⁦https://host[:port]/path⁩.</translation>
    </message>
</context>
<context>
    <name>EndpointView</name>
    <message>
        <source>due now</source>
        <translation>مستحقة الآن</translation>
    </message>
    <message>
        <source>in %1 s</source>
        <translation>بعد ⁨%1⁩ ث</translation>
    </message>
    <message>
        <source>in %1 min</source>
        <translation>بعد ⁨%1⁩ د</translation>
    </message>
    <message>
        <source>in %1 h</source>
        <translation>بعد ⁨%1⁩ س</translation>
    </message>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>Resend failed deliveries</source>
        <translation>إعادة إرسال عمليات التسليم الفاشلة</translation>
    </message>
    <message>
        <source>Every delivery to this endpoint that failed or was cancelled since this time is sent again, in the order it was published.</source>
        <translation>تُرسل من جديد كل عملية تسليم إلى نقطة النهاية هذه فشلت أو أُلغيت منذ هذا الوقت، بترتيب نشرها.</translation>
    </message>
    <message>
        <source>&amp;Since:</source>
        <translation>منذ (&amp;S):</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>الفترة</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>آخر ساعة</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>آخر 24 ساعة</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>آخر 7 أيام</translation>
    </message>
    <message>
        <source>&amp;Resend failed since…</source>
        <translation>إعادة إرسال الفاشلة منذ… (&amp;R)</translation>
    </message>
    <message>
        <source>After an outage: send again everything this endpoint missed (failed and cancelled deliveries since a time you choose)</source>
        <translation>بعد انقطاع: أعد إرسال كل ما فات نقطة النهاية هذه (عمليات التسليم الفاشلة والملغاة منذ وقت تختاره)</translation>
    </message>
    <message>
        <source>Recent deliveries</source>
        <translation>عمليات التسليم الأخيرة</translation>
    </message>
    <message>
        <source>Send the selected delivery again now</source>
        <translation>أعد إرسال عملية التسليم المحددة الآن</translation>
    </message>
    <message>
        <source>Retrying deliveries</source>
        <translation>عمليات التسليم قيد الإعادة</translation>
    </message>
    <message>
        <source>Next try</source>
        <translation>المحاولة التالية</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>الحدث</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>المحاولات</translation>
    </message>
    <message>
        <source>Last outcome</source>
        <translation>آخر نتيجة</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>عملية التسليم</translation>
    </message>
    <message>
        <source>Retrying</source>
        <translation>قيد الإعادة</translation>
    </message>
    <message>
        <source>Request and response</source>
        <translation>الطلب والاستجابة</translation>
    </message>
    <message>
        <source>No endpoint selected</source>
        <translation>لم تُحدَّد نقطة نهاية</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>معطّلة</translation>
    </message>
    <message>
        <source>Disabled: %1</source>
        <translation>معطّلة: ⁨%1⁩</translation>
    </message>
    <message>
        <source>%1+</source>
        <translation>⁨%1⁩+</translation>
    </message>
    <message>
        <source>%1 attempts</source>
        <translation>⁨%1⁩ محاولة</translation>
    </message>
    <message>
        <source>%1 succeeded</source>
        <translation>⁨%1⁩ ناجحة</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>⁨%1⁩٪</translation>
    </message>
    <message>
        <source>latency p50 %1 · p95 %2 · p99 %3</source>
        <translation>زمن الاستجابة ⁦p50⁩ ⁨%1⁩ · ⁦p95⁩ ⁨%2⁩ · ⁦p99⁩ ⁨%3⁩</translation>
    </message>
    <message>
        <source>%1 queued</source>
        <translation>⁨%1⁩ في الانتظار</translation>
    </message>
    <message>
        <source>%1 in flight</source>
        <translation>⁨%1⁩ قيد الإرسال</translation>
    </message>
    <message>
        <source>%1 retrying</source>
        <translation>⁨%1⁩ قيد الإعادة</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>⁨%1⁩ (⁨%2⁩)</translation>
    </message>
    <message>
        <source>Retrying (%1)</source>
        <translation>قيد الإعادة (⁨%1⁩)</translation>
    </message>
    <message>
        <source>Select a delivery to redeliver.</source>
        <translation>حدّد عملية تسليم لإعادة إرسالها.</translation>
    </message>
    <message>
        <source>Redelivering %1…</source>
        <translation>جارٍ إعادة تسليم ⁨%1⁩…</translation>
    </message>
    <message>
        <source>The history could not be read.</source>
        <translation>تعذّرت قراءة السجل.</translation>
    </message>
    <message>
        <source>Nothing to resend: no delivery to “%1” failed or was cancelled since %2.</source>
        <translation>لا شيء لإعادة إرساله: لم تفشل ولم تُلغَ أي عملية تسليم إلى «⁨%1⁩» منذ ⁨%2⁩.</translation>
    </message>
    <message>
        <source>Resend to “%1” what failed or was cancelled since %2?

Deliveries to resend: %3, oldest first.</source>
        <translation>أتريد أن تعيد إلى «⁨%1⁩» إرسال ما فشل أو أُلغي منذ ⁨%2⁩؟

عمليات التسليم المراد إعادة إرسالها: ⁨%3⁩، الأقدم أولًا.</translation>
    </message>
    <message>
        <source>The endpoint is disabled; it is enabled first.</source>
        <translation>نقطة النهاية معطّلة؛ ستُفعَّل أولًا.</translation>
    </message>
    <message>
        <source>Resending to “%1”: %2 in all.</source>
        <translation>جارٍ إعادة الإرسال إلى «⁨%1⁩»: ⁨%2⁩ إجمالًا.</translation>
    </message>
    <message>
        <source>Redel&amp;iver</source>
        <translation>إعادة التسليم (&amp;I)</translation>
    </message>
</context>
<context>
    <name>EndpointsModel</name>
    <message>
        <source>Disabled: %1</source>
        <translation>معطّلة: ⁨%1⁩</translation>
    </message>
    <message>
        <source>enabled</source>
        <translation>مفعّلة</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>معطّلة</translation>
    </message>
    <message>
        <source>all</source>
        <translation>الكل</translation>
    </message>
    <message>
        <source>never sent</source>
        <translation>لم يُرسل بعد</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>عنوان URL</translation>
    </message>
    <message>
        <source>State</source>
        <translation>الحالة</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>الأحداث</translation>
    </message>
    <message>
        <source>Last status</source>
        <translation>آخر نتيجة</translation>
    </message>
    <message>
        <source>Success</source>
        <translation>النجاح</translation>
    </message>
    <message>
        <source>Deliveries waiting, retrying or being attempted</source>
        <translation>عمليات تسليم تنتظر أو تُعاد أو تجري الآن</translation>
    </message>
    <message>
        <source>Attempts under way now in this window</source>
        <translation>محاولات جارية الآن في هذه النافذة</translation>
    </message>
    <message numerus="yes">
        <source>At most %n attempt(s) at once</source>
        <translation>
            <numerusform>لا محاولات في آن واحد</numerusform>
            <numerusform>محاولة واحدة على الأكثر في آن واحد</numerusform>
            <numerusform>محاولتان على الأكثر في آن واحد</numerusform>
            <numerusform>⁨%n⁩ محاولات على الأكثر في آن واحد</numerusform>
            <numerusform>⁨%n⁩ محاولة على الأكثر في آن واحد</numerusform>
            <numerusform>⁨%n⁩ محاولة على الأكثر في آن واحد</numerusform>
        </translation>
    </message>
    <message>
        <source>At most %1 per second, bursts of %2</source>
        <translation>⁨%1⁩ في الثانية على الأكثر، ودفعات من ⁨%2⁩</translation>
    </message>
    <message>
        <source>HTTP/1.1 only</source>
        <translation>⁦HTTP/1.1⁩ فقط</translation>
    </message>
    <message>
        <source>%1+</source>
        <translation>⁨%1⁩+</translation>
    </message>
    <message>
        <source>%1 at once, %2/s</source>
        <translation>⁨%1⁩ في آن واحد، ⁨%2⁩/ث</translation>
    </message>
    <message>
        <source>%1 at once</source>
        <translation>⁨%1⁩ في آن واحد</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>في الانتظار</translation>
    </message>
    <message>
        <source>In flight</source>
        <translation>قيد الإرسال</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>الحدود</translation>
    </message>
</context>
<context>
    <name>EndpointsPage</name>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>إضافة… (&amp;A)</translation>
    </message>
    <message>
        <source>Register a new endpoint (Ctrl+N)</source>
        <translation>تسجيل نقطة نهاية جديدة (Ctrl+N)</translation>
    </message>
    <message>
        <source>Add &amp;local test endpoint</source>
        <translation>إضافة نقطة اختبار محلية (&amp;L)</translation>
    </message>
    <message>
        <source>An endpoint that delivers to Hookline&apos;s built-in receiver</source>
        <translation>نقطة نهاية تسلّم إلى المستقبِل المدمج في Hookline</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>تحرير… (&amp;E)</translation>
    </message>
    <message>
        <source>D&amp;uplicate</source>
        <translation>تكرار (&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>حذف (&amp;D)</translation>
    </message>
    <message>
        <source>Disa&amp;ble</source>
        <translation>تعطيل (&amp;B)</translation>
    </message>
    <message>
        <source>Test event</source>
        <translation>حدث الاختبار</translation>
    </message>
    <message>
        <source>Send &amp;test</source>
        <translation>إرسال اختبار (&amp;T)</translation>
    </message>
    <message>
        <source>Endpoints</source>
        <translation>نقاط النهاية</translation>
    </message>
    <message>
        <source>No endpoints yet. &lt;b&gt;Add…&lt;/b&gt; registers a URL that should receive webhooks; &lt;b&gt;Add local test endpoint&lt;/b&gt; creates one that delivers to Hookline&apos;s own receiver, so you can try everything right away.</source>
        <translation>لا توجد نقاط نهاية بعد. &lt;b&gt;إضافة…&lt;/b&gt; تسجّل عنوان URL يستقبل خطافات الويب؛ و&lt;b&gt;إضافة نقطة اختبار محلية&lt;/b&gt; تنشئ نقطة تسلّم إلى مستقبِل Hookline نفسه، لتجرّب كل شيء فورًا.</translation>
    </message>
    <message>
        <source>Ena&amp;ble</source>
        <translation>تفعيل (&amp;B)</translation>
    </message>
    <message>
        <source>Endpoint not saved</source>
        <translation>لم تُحفظ نقطة النهاية</translation>
    </message>
    <message>
        <source>Saved endpoint “%1”.</source>
        <translation>حُفظت نقطة النهاية «⁨%1⁩».</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>المستقبِل</translation>
    </message>
    <message>
        <source>Local test inbox</source>
        <translation>صندوق اختبار محلي</translation>
    </message>
    <message>
        <source>Delivers to Hookline&apos;s built-in receiver (Receiver page).</source>
        <translation>تسلّم إلى المستقبِل المدمج في Hookline (صفحة المستقبِل).</translation>
    </message>
    <message>
        <source>Added “%1” at %2.</source>
        <translation>أُضيفت «⁨%1⁩» على ⁨%2⁩.</translation>
    </message>
    <message>
        <source>%1 (copy)</source>
        <translation>⁨%1⁩ (نسخة)</translation>
    </message>
    <message>
        <source>Delete the endpoint “%1” (%2)? Its delivery history is kept.</source>
        <translation>حذف نقطة النهاية «⁨%1⁩» (⁨%2⁩)؟ يبقى سجل تسليماتها محفوظًا.</translation>
    </message>
    <message>
        <source>Deleted “%1”.</source>
        <translation>حُذفت «⁨%1⁩».</translation>
    </message>
    <message>
        <source>Disabled “%1”.</source>
        <translation>عُطّلت «⁨%1⁩».</translation>
    </message>
    <message>
        <source>Enabled “%1”.</source>
        <translation>فُعّلت «⁨%1⁩».</translation>
    </message>
    <message>
        <source>Send test</source>
        <translation>إرسال اختبار</translation>
    </message>
    <message>
        <source>Sent %1 — watch it on the Live page (Ctrl+3).</source>
        <translation>أُرسل ⁨%1⁩ — تابعه في الصفحة المباشرة (Ctrl+3).</translation>
    </message>
    <message>
        <source>Send the chosen event to the selected endpoint now, even when it is disabled (Ctrl+T)</source>
        <translation>أرسل الحدث المختار إلى نقطة النهاية المحددة الآن، حتى وإن كانت معطّلة (⁦Ctrl+T⁩)</translation>
    </message>
    <message>
        <source>Local test inbox (%1)</source>
        <translation>صندوق الاختبار المحلي (⁨%1⁩)</translation>
    </message>
</context>
<context>
    <name>Engine</name>
    <message>
        <source>disabled by the admin</source>
        <translation>عطّلها المسؤول</translation>
    </message>
    <message>
        <source>Unknown event type “%1”. Known types: %2.</source>
        <translation>نوع حدث غير معروف «⁨%1⁩». الأنواع المعروفة: ⁨%2⁩.</translation>
    </message>
    <message>
        <source>No delivery has the id “%1”.</source>
        <translation>لا يوجد تسليم بالمعرّف «⁨%1⁩».</translation>
    </message>
    <message>
        <source>The database could not be written: %1. %2</source>
        <translation>تعذّرت الكتابة في قاعدة البيانات: ⁨%1⁩. ⁨%2⁩</translation>
    </message>
    <message>
        <source>The token could not be stored: %1. %2</source>
        <translation>تعذّر حفظ الرمز: ⁨%1⁩. ⁨%2⁩</translation>
    </message>
    <message>
        <source>There is no API token %1.</source>
        <translation>لا يوجد رمز واجهة برمجية ⁨%1⁩.</translation>
    </message>
    <message>
        <source>The token could not be revoked: %1</source>
        <translation>تعذّر إبطال الرمز: ⁨%1⁩</translation>
    </message>
    <message>
        <source>The payload is %1 bytes; the limit is %2 bytes. Send less, or raise the limit (hookline settings set payload-limit BYTES).</source>
        <translation>حجم الحمولة ⁨%1⁩ بايت، والحد ⁨%2⁩ بايت. أرسل أقل، أو ارفع الحد (⁦hookline settings set payload-limit BYTES⁩).</translation>
    </message>
    <message>
        <source>%1 attempts at once is out of range; choose from 1 to %2.</source>
        <translation>⁨%1⁩ محاولة في آن واحد خارج النطاق؛ اختر من 1 إلى ⁨%2⁩.</translation>
    </message>
    <message>
        <source>There is no endpoint %1.</source>
        <translation>لا توجد نقطة نهاية ⁨%1⁩.</translation>
    </message>
    <message>
        <source>The endpoint “%1” is disabled: enable it first, then resend. (Send it a test to check that it answers again.)</source>
        <translation>نقطة النهاية «⁨%1⁩» معطّلة: فعّلها أولًا ثم أعد الإرسال. (أرسل إليها اختبارًا للتحقق من أنها تجيب من جديد.)</translation>
    </message>
</context>
<context>
    <name>EventCatalog</name>
    <message>
        <source>Call Created</source>
        <translation>إنشاء مكالمة</translation>
    </message>
    <message>
        <source>A call starts. Tells the start time, and the end time and reason if the call was missed.</source>
        <translation>تبدأ مكالمة. يذكر وقت البدء، ووقت الانتهاء وسببه إن فاتت المكالمة.</translation>
    </message>
    <message>
        <source>Call Ringing</source>
        <translation>رنين مكالمة</translation>
    </message>
    <message>
        <source>The call rings on an agent&apos;s phone. Tells the caller and callee names and numbers.</source>
        <translation>ترنّ المكالمة على هاتف الوكيل. يذكر اسمي المتصل والمتصل به ورقميهما.</translation>
    </message>
    <message>
        <source>Call Answered</source>
        <translation>الرد على مكالمة</translation>
    </message>
    <message>
        <source>Inbound: an agent picks up; outbound: the external party picks up. Tells the customer information.</source>
        <translation>واردة: يرد الوكيل؛ صادرة: يرد الطرف الخارجي. يذكر معلومات العميل.</translation>
    </message>
    <message>
        <source>Call Ended</source>
        <translation>انتهاء مكالمة</translation>
    </message>
    <message>
        <source>The call is hung up. Tells the duration, ring and talk time, disposition and the recording reference.</source>
        <translation>تُنهى المكالمة. يذكر المدة، وزمن الرنين والمحادثة، والتصنيف، ومرجع التسجيل.</translation>
    </message>
    <message>
        <source>Agent Login</source>
        <translation>تسجيل دخول وكيل</translation>
    </message>
    <message>
        <source>An agent logs in. Tells the time and the agent&apos;s profile.</source>
        <translation>يسجّل وكيل دخوله. يذكر الوقت وملف الوكيل.</translation>
    </message>
    <message>
        <source>Agent Logout</source>
        <translation>تسجيل خروج وكيل</translation>
    </message>
    <message>
        <source>An agent logs out. Tells the total engagement time and the shift&apos;s activities.</source>
        <translation>يسجّل وكيل خروجه. يذكر إجمالي وقت العمل وأنشطة المناوبة.</translation>
    </message>
    <message>
        <source>Give the event type %1 a display name.</source>
        <translation>أعطِ نوع الحدث ⁨%1⁩ اسمًا للعرض.</translation>
    </message>
    <message>
        <source>%1 is a built-in event type; it can be edited or reset, not removed.</source>
        <translation>⁨%1⁩ نوع حدث مدمج؛ يمكن تحريره أو إعادة ضبطه، لا إزالته.</translation>
    </message>
    <message>
        <source>There is no event type %1.</source>
        <translation>لا يوجد نوع حدث ⁨%1⁩.</translation>
    </message>
    <message>
        <source>Unknown event type “%1”. Known types: %2.</source>
        <translation>نوع حدث غير معروف «⁨%1⁩». الأنواع المعروفة: ⁨%2⁩.</translation>
    </message>
    <message>
        <source>The scenario needs the event type %1, which is missing from the catalog.</source>
        <translation>يحتاج السيناريو إلى نوع الحدث ⁨%1⁩، وهو غير موجود في الفهرس.</translation>
    </message>
    <message>
        <source>Event type %1: %2</source>
        <translation>نوع الحدث ⁨%1⁩: ⁨%2⁩</translation>
    </message>
</context>
<context>
    <name>EventType</name>
    <message>
        <source>Give the event type an id such as call.transferred.</source>
        <translation>أعطِ نوع الحدث معرّفًا مثل call.transferred.</translation>
    </message>
    <message>
        <source>The event type id %1 is not valid. Use lower-case words of letters, digits, &apos;-&apos; or &apos;_&apos;, joined by dots, like call.transferred.</source>
        <translation>معرّف نوع الحدث ⁨%1⁩ غير صالح. استخدم كلمات بأحرف لاتينية صغيرة أو أرقام أو «-» أو «_» تفصل بينها نقاط، مثل call.transferred.</translation>
    </message>
</context>
<context>
    <name>EventsPage</name>
    <message>
        <source>Event types</source>
        <translation>أنواع الأحداث</translation>
    </message>
    <message>
        <source>&amp;New event type…</source>
        <translation>نوع حدث جديد… (&amp;N)</translation>
    </message>
    <message>
        <source>Send to</source>
        <translation>الإرسال إلى</translation>
    </message>
    <message>
        <source>Send &amp;test</source>
        <translation>إرسال اختبار (&amp;T)</translation>
    </message>
    <message>
        <source>Render this event and send it now (Ctrl+T)</source>
        <translation>توليد هذا الحدث وإرساله الآن (Ctrl+T)</translation>
    </message>
    <message>
        <source>Run &amp;call scenario</source>
        <translation>تشغيل سيناريو مكالمة (&amp;C)</translation>
    </message>
    <message>
        <source>Created, ringing, answered and ended of one call, in order</source>
        <translation>إنشاء مكالمة واحدة ورنينها والرد عليها وانتهاؤها، بالترتيب</translation>
    </message>
    <message>
        <source>Run agent s&amp;hift</source>
        <translation>تشغيل مناوبة وكيل (&amp;H)</translation>
    </message>
    <message>
        <source>Send to:</source>
        <translation>الإرسال إلى:</translation>
    </message>
    <message>
        <source>Template</source>
        <translation>القالب</translation>
    </message>
    <message>
        <source>&amp;Save template</source>
        <translation>حفظ القالب (&amp;S)</translation>
    </message>
    <message>
        <source>Payload template</source>
        <translation>قالب الحمولة</translation>
    </message>
    <message>
        <source>Sample payload</source>
        <translation>حمولة نموذجية</translation>
    </message>
    <message>
        <source>&amp;Render again</source>
        <translation>إعادة التوليد (&amp;R)</translation>
    </message>
    <message>
        <source>Render the template with fresh sample values (Ctrl+R)</source>
        <translation>توليد القالب بقيم نموذجية جديدة (Ctrl+R)</translation>
    </message>
    <message>
        <source>%1 (custom)</source>
        <translation>⁨%1⁩ (مخصص)</translation>
    </message>
    <message>
        <source>Every subscribed endpoint</source>
        <translation>كل نقطة نهاية مشتركة</translation>
    </message>
    <message>
        <source>%1 (disabled)</source>
        <translation>⁨%1⁩ (معطّلة)</translation>
    </message>
    <message>
        <source>Template not saved</source>
        <translation>لم يُحفظ القالب</translation>
    </message>
    <message>
        <source>Saved the template of %1.</source>
        <translation>حُفظ قالب ⁨%1⁩.</translation>
    </message>
    <message>
        <source>New event type</source>
        <translation>نوع حدث جديد</translation>
    </message>
    <message>
        <source>Id (lower-case words joined by dots, e.g. call.transferred):</source>
        <translation>المعرّف (كلمات بأحرف لاتينية صغيرة تفصل بينها نقاط، مثل call.transferred):</translation>
    </message>
    <message>
        <source>A custom event type.</source>
        <translation>نوع حدث مخصص.</translation>
    </message>
    <message>
        <source>Send test</source>
        <translation>إرسال اختبار</translation>
    </message>
    <message>
        <source>Sent %1 (deliveries: %2) — see the Live page (Ctrl+3).</source>
        <translation>أُرسل ⁨%1⁩ (عمليات التسليم: ⁨%2⁩) — انظر الصفحة المباشرة (Ctrl+3).</translation>
    </message>
    <message>
        <source>Scenario</source>
        <translation>السيناريو</translation>
    </message>
    <message>
        <source>Agent shift started: login, then logout.</source>
        <translation>بدأت مناوبة الوكيل: دخول ثم خروج.</translation>
    </message>
    <message>
        <source>Call scenario started: created, ringing, answered, ended.</source>
        <translation>بدأ سيناريو المكالمة: إنشاء، رنين، رد، انتهاء.</translation>
    </message>
    <message>
        <source>Unsaved template</source>
        <translation>قالب غير محفوظ</translation>
    </message>
    <message>
        <source>The template of %1 has changes that are not saved. Save them?</source>
        <translation>في قالب ⁨%1⁩ تغييرات غير محفوظة. أتحفظها؟</translation>
    </message>
</context>
<context>
    <name>FilterBoxes</name>
    <message>
        <source>All endpoints</source>
        <translation>كل نقاط النهاية</translation>
    </message>
    <message>
        <source>All events</source>
        <translation>كل الأحداث</translation>
    </message>
</context>
<context>
    <name>HealthNotifier</name>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>“%1” was disabled: %2.</source>
        <translation>عُطّلت «⁨%1⁩»: ⁨%2⁩.</translation>
    </message>
    <message>
        <source>“%1”: %2 of its last %3 attempts failed (%4 %) in %5 minutes.</source>
        <translation>«⁨%1⁩»: فشلت ⁨%2⁩ من آخر ⁨%3⁩ محاولة (⁨%4⁩٪) خلال ⁨%5⁩ دقائق.</translation>
    </message>
    <message>
        <source>Hookline: an endpoint needs attention</source>
        <translation>Hookline: نقطة نهاية تحتاج إلى انتباهك</translation>
    </message>
</context>
<context>
    <name>HistoryModel</name>
    <message>
        <source>%1 ms</source>
        <translation>⁨%1⁩ ملي ثانية</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>الحدث</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>نقطة النهاية</translation>
    </message>
    <message>
        <source>State</source>
        <translation>الحالة</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>الرمز</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>المحاولات</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>المدة</translation>
    </message>
    <message>
        <source>Delivery id</source>
        <translation>معرّف التسليم</translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message>
        <source>Filter by endpoint</source>
        <translation>التصفية حسب نقطة النهاية</translation>
    </message>
    <message>
        <source>Filter by event</source>
        <translation>التصفية حسب الحدث</translation>
    </message>
    <message>
        <source>Filter by state</source>
        <translation>التصفية حسب الحالة</translation>
    </message>
    <message>
        <source>Any state</source>
        <translation>أي حالة</translation>
    </message>
    <message>
        <source>Filter by response code</source>
        <translation>التصفية حسب رمز الاستجابة</translation>
    </message>
    <message>
        <source>Any code</source>
        <translation>أي رمز</translation>
    </message>
    <message>
        <source>2xx</source>
        <translation>2xx</translation>
    </message>
    <message>
        <source>3xx</source>
        <translation>3xx</translation>
    </message>
    <message>
        <source>4xx</source>
        <translation>4xx</translation>
    </message>
    <message>
        <source>5xx</source>
        <translation>5xx</translation>
    </message>
    <message>
        <source>No answer (network)</source>
        <translation>لا إجابة (الشبكة)</translation>
    </message>
    <message>
        <source>Time range</source>
        <translation>الفترة الزمنية</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>أي وقت</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>آخر ساعة</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>آخر 24 ساعة</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>آخر 7 أيام</translation>
    </message>
    <message>
        <source>&amp;Redeliver</source>
        <translation>إعادة التسليم (&amp;R)</translation>
    </message>
    <message>
        <source>Send the selected delivery again now (Ctrl+Shift+R)</source>
        <translation>إرسال عملية التسليم المحددة مجددًا الآن (Ctrl+Shift+R)</translation>
    </message>
    <message>
        <source>Retry all &amp;failed</source>
        <translation>إعادة محاولة كل الفاشلة (&amp;F)</translation>
    </message>
    <message>
        <source>Redeliver every failed delivery that matches the filters</source>
        <translation>إعادة تسليم كل عملية تسليم فاشلة تطابق عوامل التصفية</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>تصدير… (&amp;E)</translation>
    </message>
    <message>
        <source>Save the filtered rows as CSV or JSON Lines (Ctrl+E)</source>
        <translation>حفظ الصفوف المصفّاة بصيغة CSV أو JSON Lines (Ctrl+E)</translation>
    </message>
    <message>
        <source>Delivery history</source>
        <translation>سجل عمليات التسليم</translation>
    </message>
    <message>
        <source>Attempt:</source>
        <translation>المحاولة:</translation>
    </message>
    <message>
        <source>Attempt</source>
        <translation>المحاولة</translation>
    </message>
    <message>
        <source>Failed deliveries sent again: %1</source>
        <translation>عمليات التسليم الفاشلة المُرسلة مجددًا: ⁨%1⁩</translation>
    </message>
    <message>
        <source>Showing the newest %1 matches; refine the search to see others.</source>
        <translation>تُعرض أحدث ⁨%1⁩ نتيجة مطابقة؛ حسّن البحث لرؤية غيرها.</translation>
    </message>
    <message>
        <source>Deliveries: %1</source>
        <translation>عمليات التسليم: ⁨%1⁩</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>جارٍ البحث…</translation>
    </message>
    <message>
        <source>#%1 %2 · %3</source>
        <translation>#⁨%1⁩ ⁨%2⁩ · ⁨%3⁩</translation>
    </message>
    <message>
        <source>Select a delivery to redeliver.</source>
        <translation>اختر عملية تسليم لإعادة تسليمها.</translation>
    </message>
    <message>
        <source>Redelivering %1…</source>
        <translation>جارٍ إعادة تسليم ⁨%1⁩…</translation>
    </message>
    <message>
        <source>Redeliver</source>
        <translation>إعادة التسليم</translation>
    </message>
    <message>
        <source>Export deliveries</source>
        <translation>تصدير عمليات التسليم</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON Lines (*.jsonl)</source>
        <translation>CSV (*.csv);;JSON Lines (*.jsonl)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>تصدير</translation>
    </message>
    <message>
        <source>An export is already running.</source>
        <translation>هناك عملية تصدير جارية بالفعل.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>تتعذّر الكتابة في ⁨%1⁩: ⁨%2⁩</translation>
    </message>
    <message>
        <source>Export cancelled.</source>
        <translation>أُلغي التصدير.</translation>
    </message>
    <message>
        <source>Exported deliveries: %1</source>
        <translation>عمليات التسليم المُصدّرة: ⁨%1⁩</translation>
    </message>
    <message>
        <source>Exporting to %1…</source>
        <translation>جارٍ التصدير إلى ⁨%1⁩…</translation>
    </message>
    <message>
        <source>Retry all failed</source>
        <translation>إعادة كل المتعثر</translation>
    </message>
    <message>
        <source>No failed deliveries are shown: the State filter is “%1”. Choose State: failed (or all) to retry them.</source>
        <translation>لا تظهر عمليات تسليم متعثرة: مرشّح الحالة هو «⁨%1⁩». اختر الحالة «متعثر» (أو الكل) لإعادتها.</translation>
    </message>
    <message>
        <source>No failed deliveries match the filters.</source>
        <translation>لا توجد عمليات تسليم متعثرة تطابق المرشّحات.</translation>
    </message>
    <message numerus="yes">
        <source>Send %n failed delivery(s) that match the filters again? Each keeps its webhook-id, so receivers can tell a repeat.</source>
        <translation>
            <numerusform>لا توجد عمليات لإرسالها.</numerusform>
            <numerusform>إرسال عملية تسليم متعثرة واحدة تطابق المرشّحات مرة أخرى؟ تحتفظ بمعرّف ⁦webhook-id⁩ فيعرف المستقبِل أنها تكرار.</numerusform>
            <numerusform>إرسال عمليتي تسليم متعثرتين تطابقان المرشّحات مرة أخرى؟ تحتفظ كل منهما بمعرّف ⁦webhook-id⁩ فيعرف المستقبِل أنها تكرار.</numerusform>
            <numerusform>إرسال ⁨%n⁩ عمليات تسليم متعثرة تطابق المرشّحات مرة أخرى؟ تحتفظ كل منها بمعرّف ⁦webhook-id⁩ فيعرف المستقبِل أنها تكرار.</numerusform>
            <numerusform>إرسال ⁨%n⁩ عملية تسليم متعثرة تطابق المرشّحات مرة أخرى؟ تحتفظ كل منها بمعرّف ⁦webhook-id⁩ فيعرف المستقبِل أنها تكرار.</numerusform>
            <numerusform>إرسال ⁨%n⁩ عملية تسليم متعثرة تطابق المرشّحات مرة أخرى؟ تحتفظ كل منها بمعرّف ⁦webhook-id⁩ فيعرف المستقبِل أنها تكرار.</numerusform>
        </translation>
    </message>
    <message>
        <source>Search payloads, responses, ids, endpoint names…</source>
        <translation>ابحث في الحمولات والاستجابات والمعرّفات وأسماء نقاط النهاية…</translation>
    </message>
    <message>
        <source>Search payloads, responses, ids and endpoint names</source>
        <translation>البحث في الحمولات والاستجابات والمعرّفات وأسماء نقاط النهاية</translation>
    </message>
    <message>
        <source>Finds deliveries by text in their payload or a response, by webhook-id, delivery id (or its start) or event id, and by endpoint name</source>
        <translation>يعثر على عمليات التسليم بنص في حمولتها أو في استجابة، أو بمعرّف ⁦webhook-id⁩ أو معرّف التسليم (أو بدايته) أو معرّف الحدث، أو باسم نقطة النهاية</translation>
    </message>
    <message>
        <source>Position in the history</source>
        <translation>الموضع في السجل</translation>
    </message>
</context>
<context>
    <name>LiveModel</name>
    <message>
        <source>sending…</source>
        <translation>جارٍ الإرسال…</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>⁨%1⁩ ملي ثانية</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>الحدث</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>نقطة النهاية</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>النتيجة</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>المدة</translation>
    </message>
    <message>
        <source>Attempt</source>
        <translation>المحاولة</translation>
    </message>
    <message>
        <source>held behind %1</source>
        <translation>محجوز خلف ⁨%1⁩</translation>
    </message>
    <message>
        <source>Waits for delivery %1 (same order key, %2) to succeed or give up.</source>
        <translation>ينتظر أن ينجح التسليم ⁨%1⁩ (مفتاح الترتيب نفسه، ⁨%2⁩) أو يتوقف.</translation>
    </message>
</context>
<context>
    <name>LivePage</name>
    <message>
        <source>Filter by endpoint</source>
        <translation>التصفية حسب نقطة النهاية</translation>
    </message>
    <message>
        <source>Filter by event</source>
        <translation>التصفية حسب الحدث</translation>
    </message>
    <message>
        <source>Filter by status</source>
        <translation>التصفية حسب النتيجة</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>كل النتائج</translation>
    </message>
    <message>
        <source>2xx success</source>
        <translation>2xx نجاح</translation>
    </message>
    <message>
        <source>Any failure</source>
        <translation>أي إخفاق</translation>
    </message>
    <message>
        <source>3xx</source>
        <translation>3xx</translation>
    </message>
    <message>
        <source>4xx</source>
        <translation>4xx</translation>
    </message>
    <message>
        <source>5xx</source>
        <translation>5xx</translation>
    </message>
    <message>
        <source>Network errors</source>
        <translation>أخطاء الشبكة</translation>
    </message>
    <message>
        <source>In flight</source>
        <translation>قيد الإرسال</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>إيقاف مؤقت (&amp;P)</translation>
    </message>
    <message>
        <source>Freeze the list (Ctrl+P); deliveries keep going</source>
        <translation>تجميد القائمة (Ctrl+P)؛ تستمر عمليات التسليم</translation>
    </message>
    <message>
        <source>C&amp;lear</source>
        <translation>مسح (&amp;L)</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>عرض:</translation>
    </message>
    <message>
        <source>Live deliveries</source>
        <translation>عمليات التسليم المباشرة</translation>
    </message>
    <message>
        <source>Deliveries appear here as they happen. Send a test event from the Endpoints page (Ctrl+1, then Ctrl+T) or run a call scenario from the Events page.</source>
        <translation>تظهر عمليات التسليم هنا فور حدوثها. أرسل حدثًا تجريبيًا من صفحة نقاط النهاية (Ctrl+1 ثم Ctrl+T) أو شغّل سيناريو مكالمة من صفحة الأحداث.</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>استئناف (&amp;R)</translation>
    </message>
    <message>
        <source>Attempts shown: %1</source>
        <translation>المحاولات المعروضة: ⁨%1⁩</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Hookline</source>
        <translation>Hookline</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>الصفحات</translation>
    </message>
    <message>
        <source>Endpoints</source>
        <translation>نقاط النهاية</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>الأحداث</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>مباشر</translation>
    </message>
    <message>
        <source>History</source>
        <translation>السجل</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>المستقبِل</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>الإعدادات</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>ملف (&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>خروج (&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>عرض (&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>مساعدة (&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Hookline</source>
        <translation>حول Hookline (&amp;A)</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>حول Qt (&amp;Q)</translation>
    </message>
    <message>
        <source>Hookline %1 ready. Data: %2</source>
        <translation>Hookline ⁨%1⁩ جاهز. البيانات: ⁨%2⁩</translation>
    </message>
    <message>
        <source>Receiver on :%1</source>
        <translation>المستقبِل على ⁦:%1⁩</translation>
    </message>
    <message>
        <source>Receiver off</source>
        <translation>المستقبِل متوقف</translation>
    </message>
    <message>
        <source>The database can be written again; delivery has resumed.</source>
        <translation>أصبحت الكتابة في قاعدة البيانات ممكنة مجددًا؛ استُؤنف التسليم.</translation>
    </message>
    <message>
        <source>Database problem</source>
        <translation>مشكلة في قاعدة البيانات</translation>
    </message>
    <message>
        <source>Database cannot be written: deliveries paused</source>
        <translation>لا يمكن الكتابة في قاعدة البيانات: التسليمات متوقفة</translation>
    </message>
    <message>
        <source>Hookline cannot write its database %1 (%2). Deliveries are paused and nothing new is accepted until it can; nothing already accepted is lost, and delivery resumes by itself. %3</source>
        <translation>لا يستطيع Hookline الكتابة في قاعدة بياناته ⁨%1⁩ (⁨%2⁩). التسليمات متوقفة مؤقتًا ولن يُقبل شيء جديد حتى تصبح الكتابة ممكنة؛ لن يضيع شيء مما قُبل من قبل، وسيُستأنف التسليم تلقائيًا. ⁨%3⁩</translation>
    </message>
    <message>
        <source>API on %1</source>
        <translation>الواجهة البرمجية على ⁦%1⁩</translation>
    </message>
    <message>
        <source>Attempts this window has made since it started; other Hookline processes on the same data are not counted here.</source>
        <translation>المحاولات التي أجرتها هذه النافذة منذ بدئها؛ ولا تُحسب هنا محاولات عمليات Hookline الأخرى على البيانات نفسها.</translation>
    </message>
    <message>
        <source>This window&apos;s attempts: %1 in flight · %2 queued · %3 succeeded · %4 failed · %5 retrying</source>
        <translation>محاولات هذه النافذة: ⁨%1⁩ قيد الإرسال · ⁨%2⁩ في الطابور · ⁨%3⁩ نجحت · ⁨%4⁩ فشلت · ⁨%5⁩ قيد الإعادة</translation>
    </message>
    <message>
        <source>Reconnecting to the database %1… (%2) What is on screen is kept; deliveries wait and resume by themselves once it answers.</source>
        <translation>جارٍ إعادة الاتصال بقاعدة البيانات ⁨%1⁩… (⁨%2⁩) يبقى ما على الشاشة كما هو؛ تنتظر عمليات التسليم وتُستأنف من تلقاء نفسها حين تستجيب.</translation>
    </message>
    <message>
        <source>Reconnecting to the database…</source>
        <translation>جارٍ إعادة الاتصال بقاعدة البيانات…</translation>
    </message>
</context>
<context>
    <name>PayloadEncoder</name>
    <message>
        <source>The payload is not valid JSON (%1 at byte %2), so it cannot be converted to XML.</source>
        <translation>الحمولة ليست JSON صالحًا (⁨%1⁩ عند البايت ⁨%2⁩)، لذا لا يمكن تحويلها إلى XML.</translation>
    </message>
    <message>
        <source>The payload is not a JSON object or array, so it cannot be converted to XML.</source>
        <translation>الحمولة ليست كائن ⁦JSON⁩ ولا مصفوفة، لذا لا يمكن تحويلها إلى ⁦XML⁩.</translation>
    </message>
</context>
<context>
    <name>PgConnection</name>
    <message>
        <source>Nothing answers at %1 (connection refused): is PostgreSQL running there, and is the port right?</source>
        <translation>لا شيء يجيب على ⁨%1⁩ (رُفض الاتصال): هل يعمل PostgreSQL هناك، وهل المنفذ صحيح؟</translation>
    </message>
    <message>
        <source>The PostgreSQL server at %1 did not answer within %2 s. Check the host and the network, or give it longer with ?connect_timeout=SECONDS.</source>
        <translation>لم يُجب خادم PostgreSQL على ⁨%1⁩ خلال ⁨%2⁩ ث. تحقق من المضيف والشبكة، أو امنحه وقتًا أطول بـ ⁦?connect_timeout=SECONDS⁩.</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 refused the password of user “%2”. Check the password in the URL, in PGPASSWORD or in ~/.pgpass.</source>
        <translation>رفض PostgreSQL على ⁨%1⁩ كلمة مرور المستخدم «⁨%2⁩». تحقق من كلمة المرور في العنوان أو في ⁦PGPASSWORD⁩ أو في ⁦~/.pgpass⁩.</translation>
    </message>
    <message>
        <source>There is no database “%1” at %2. Create it (createdb -O %3 %1) or fix the URL.</source>
        <translation>لا توجد قاعدة بيانات «⁨%1⁩» على ⁨%2⁩. أنشئها (⁦createdb -O ⁨%3⁩ ⁨%1⁩⁩) أو صحّح العنوان.</translation>
    </message>
    <message>
        <source>The host name %1 could not be resolved. Check its spelling, or use an address.</source>
        <translation>تعذّر حلّ اسم المضيف ⁨%1⁩. تحقق من كتابته، أو استخدم عنوانًا.</translation>
    </message>
    <message>
        <source>Cannot connect to PostgreSQL at %1: %2</source>
        <translation>تعذّر الاتصال بـ PostgreSQL على ⁨%1⁩: ⁨%2⁩</translation>
    </message>
    <message>
        <source>Qt&apos;s PostgreSQL driver is not installed: install libqt6sql6-psql.</source>
        <translation>مشغّل PostgreSQL الخاص بـ Qt غير مثبّت: ثبّت ⁦libqt6sql6-psql⁩.</translation>
    </message>
</context>
<context>
    <name>Placeholders</name>
    <message>
        <source>A fresh random UUID on every use</source>
        <translation>معرّف UUID عشوائي جديد في كل استخدام</translation>
    </message>
    <message>
        <source>The platform node&apos;s UUID (the same for a whole call)</source>
        <translation>معرّف UUID لعقدة المنصة (نفسه طوال المكالمة)</translation>
    </message>
    <message>
        <source>This event&apos;s time, ISO 8601 UTC with milliseconds</source>
        <translation>وقت هذا الحدث، بصيغة ISO 8601 بتوقيت UTC مع أجزاء الألف من الثانية</translation>
    </message>
    <message>
        <source>This event&apos;s time as a string of microseconds since 1970 (16 digits)</source>
        <translation>وقت هذا الحدث كنص من أجزاء المليون من الثانية منذ 1970 (16 رقمًا)</translation>
    </message>
    <message>
        <source>The call&apos;s UUID, shared by created, ringing, answered and ended</source>
        <translation>معرّف UUID للمكالمة، مشترك بين الإنشاء والرنين والرد والانتهاء</translation>
    </message>
    <message>
        <source>The UUID of the call&apos;s other leg</source>
        <translation>معرّف UUID للطرف الآخر من المكالمة</translation>
    </message>
    <message>
        <source>inbound or outbound</source>
        <translation>inbound (واردة) أو outbound (صادرة)</translation>
    </message>
    <message>
        <source>When the call started (ISO 8601)</source>
        <translation>وقت بدء المكالمة (ISO 8601)</translation>
    </message>
    <message>
        <source>When the call started (epoch microseconds)</source>
        <translation>وقت بدء المكالمة (أجزاء المليون من الثانية منذ 1970)</translation>
    </message>
    <message>
        <source>When the call started ringing (ISO 8601)</source>
        <translation>وقت بدء رنين المكالمة (ISO 8601)</translation>
    </message>
    <message>
        <source>When the call was answered (ISO 8601)</source>
        <translation>وقت الرد على المكالمة (ISO 8601)</translation>
    </message>
    <message>
        <source>When the call was hung up (ISO 8601)</source>
        <translation>وقت إنهاء المكالمة (ISO 8601)</translation>
    </message>
    <message>
        <source>Seconds of ringing (number)</source>
        <translation>ثواني الرنين (عدد)</translation>
    </message>
    <message>
        <source>Seconds of conversation (number)</source>
        <translation>ثواني المحادثة (عدد)</translation>
    </message>
    <message>
        <source>Total call duration in seconds (number)</source>
        <translation>المدة الإجمالية للمكالمة بالثواني (عدد)</translation>
    </message>
    <message>
        <source>answered, no-answer or cancel</source>
        <translation>answered (تم الرد) أو no-answer (لا رد) أو cancel (إلغاء)</translation>
    </message>
    <message>
        <source>The agent&apos;s wrap-up code</source>
        <translation>رمز التصنيف الذي اختاره الوكيل</translation>
    </message>
    <message>
        <source>Why the call ended, e.g. NORMAL_CLEARING</source>
        <translation>سبب انتهاء المكالمة، مثل NORMAL_CLEARING</translation>
    </message>
    <message>
        <source>Why the call was missed, or null</source>
        <translation>سبب فوات المكالمة، أو null</translation>
    </message>
    <message>
        <source>The recording&apos;s file name, &lt;callID&gt;.mp3</source>
        <translation>اسم ملف التسجيل، &lt;callID&gt;.mp3</translation>
    </message>
    <message>
        <source>The caller&apos;s display name</source>
        <translation>الاسم الظاهر للمتصل</translation>
    </message>
    <message>
        <source>The caller&apos;s phone number</source>
        <translation>رقم هاتف المتصل</translation>
    </message>
    <message>
        <source>The callee&apos;s display name (agent extension)</source>
        <translation>الاسم الظاهر للمتصل به (تحويلة الوكيل)</translation>
    </message>
    <message>
        <source>The callee&apos;s number (agent extension)</source>
        <translation>رقم المتصل به (تحويلة الوكيل)</translation>
    </message>
    <message>
        <source>The public number that was dialled</source>
        <translation>الرقم العام الذي طُلب</translation>
    </message>
    <message>
        <source>The customer&apos;s name</source>
        <translation>اسم العميل</translation>
    </message>
    <message>
        <source>The customer&apos;s phone number</source>
        <translation>رقم هاتف العميل</translation>
    </message>
    <message>
        <source>The customer&apos;s e-mail address</source>
        <translation>عنوان البريد الإلكتروني للعميل</translation>
    </message>
    <message>
        <source>The agent&apos;s numeric id (number)</source>
        <translation>المعرّف الرقمي للوكيل (عدد)</translation>
    </message>
    <message>
        <source>The agent&apos;s full name</source>
        <translation>الاسم الكامل للوكيل</translation>
    </message>
    <message>
        <source>The agent&apos;s e-mail address</source>
        <translation>عنوان البريد الإلكتروني للوكيل</translation>
    </message>
    <message>
        <source>The agent&apos;s extension</source>
        <translation>تحويلة الوكيل</translation>
    </message>
    <message>
        <source>When the agent logged in (ISO 8601)</source>
        <translation>وقت تسجيل دخول الوكيل (ISO 8601)</translation>
    </message>
    <message>
        <source>When the agent logged out (ISO 8601)</source>
        <translation>وقت تسجيل خروج الوكيل (ISO 8601)</translation>
    </message>
    <message>
        <source>Seconds between login and logout (number)</source>
        <translation>الثواني بين الدخول والخروج (عدد)</translation>
    </message>
    <message>
        <source>Calls the agent handled in the shift (number)</source>
        <translation>المكالمات التي تولاها الوكيل في المناوبة (عدد)</translation>
    </message>
    <message>
        <source>Seconds the agent spent talking (number)</source>
        <translation>الثواني التي قضاها الوكيل في المحادثة (عدد)</translation>
    </message>
    <message>
        <source>Seconds the agent spent on breaks (number)</source>
        <translation>الثواني التي قضاها الوكيل في الاستراحات (عدد)</translation>
    </message>
</context>
<context>
    <name>QGuiApplication</name>
    <message>
        <source>QT_LAYOUT_DIRECTION</source>
        <translation>RTL</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>Hookline cannot start</source>
        <translation>يتعذّر بدء Hookline</translation>
    </message>
</context>
<context>
    <name>ReceiverPage</name>
    <message>
        <source>any free port</source>
        <translation>أي منفذ متاح</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>المنفذ</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>المنفذ:</translation>
    </message>
    <message>
        <source>Inboxes</source>
        <translation>صناديق الوارد</translation>
    </message>
    <message>
        <source>New &amp;inbox…</source>
        <translation>صندوق جديد… (&amp;I)</translation>
    </message>
    <message>
        <source>How this inbox answers</source>
        <translation>كيف يجيب هذا الصندوق</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>عنوان URL</translation>
    </message>
    <message>
        <source>&amp;Status</source>
        <translation>رمز الحالة (&amp;S)</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ملي ثانية</translation>
    </message>
    <message>
        <source>&amp;Delay</source>
        <translation>التأخير (&amp;D)</translation>
    </message>
    <message>
        <source> % answer 503</source>
        <translation> % تجيب بـ 503</translation>
    </message>
    <message>
        <source>none</source>
        <translation>لا شيء</translation>
    </message>
    <message>
        <source> s</source>
        <translation> ث</translation>
    </message>
    <message>
        <source>Retry-&amp;After</source>
        <translation>Retry-After (&amp;A)</translation>
    </message>
    <message>
        <source>off</source>
        <translation>متوقف</translation>
    </message>
    <message>
        <source> ms per byte</source>
        <translation> ملي ثانية لكل بايت</translation>
    </message>
    <message>
        <source>Close the connection without answering</source>
        <translation>إغلاق الاتصال دون إجابة</translation>
    </message>
    <message>
        <source>D&amp;rop</source>
        <translation>إسقاط (&amp;R)</translation>
    </message>
    <message>
        <source>e.g. 503, 503, 200 (0 drops)</source>
        <translation>مثل 503, 503, 200 (‏0 يُسقط الاتصال)</translation>
    </message>
    <message>
        <source>S&amp;cript</source>
        <translation>البرنامج النصي (&amp;C)</translation>
    </message>
    <message>
        <source>whsec_… to check signatures</source>
        <translation>whsec_… للتحقق من التوقيعات</translation>
    </message>
    <message>
        <source>S&amp;ecret</source>
        <translation>السرّ (&amp;E)</translation>
    </message>
    <message>
        <source>A&amp;pply</source>
        <translation>تطبيق (&amp;P)</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <source>Inbox</source>
        <translation>الصندوق</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>الطلب</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>الحجم</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>الإجابة</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>التوقيع</translation>
    </message>
    <message>
        <source>Received requests</source>
        <translation>الطلبات المستلمة</translation>
    </message>
    <message>
        <source>Request details</source>
        <translation>تفاصيل الطلب</translation>
    </message>
    <message>
        <source>Select a request to see its headers and body.</source>
        <translation>اختر طلبًا لرؤية ترويساته ومتنه.</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>المستقبِل</translation>
    </message>
    <message>
        <source>New inbox</source>
        <translation>صندوق جديد</translation>
    </message>
    <message>
        <source>Name (letters, digits, - and _):</source>
        <translation>الاسم (حروف لاتينية وأرقام و - و _):</translation>
    </message>
    <message>
        <source>Listening on 127.0.0.1:%1%2</source>
        <translation>يستمع على ⁦127.0.0.1:%1⁩⁨%2⁩</translation>
    </message>
    <message>
        <source> and [::1]</source>
        <translation> و ⁦[::1]⁩</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>إيقاف (&amp;T)</translation>
    </message>
    <message>
        <source>Stopped. Start it to receive test deliveries on this machine.</source>
        <translation>متوقف. شغّله لاستقبال عمليات التسليم التجريبية على هذا الجهاز.</translation>
    </message>
    <message>
        <source>S&amp;tart</source>
        <translation>تشغيل (&amp;T)</translation>
    </message>
    <message>
        <source>(start the receiver)</source>
        <translation>(شغّل المستقبِل)</translation>
    </message>
    <message>
        <source>“%1” in the script is not a status code.</source>
        <translation>«⁨%1⁩» في البرنامج النصي ليس رمز حالة.</translation>
    </message>
    <message>
        <source>Inbox “%1” updated.</source>
        <translation>حُدّث الصندوق «⁨%1⁩».</translation>
    </message>
    <message>
        <source>dropped</source>
        <translation>أُسقط</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(لا شيء)</translation>
    </message>
    <message>
        <source>%1 B</source>
        <translation>⁨%1⁩ بايت</translation>
    </message>
    <message>
        <source>from %1:%2 at %3
</source>
        <translation>من ⁦%1:%2⁩ في ⁨%3⁩
</translation>
    </message>
    <message>
        <source>signature: %1 — %2
</source>
        <translation>التوقيع: ⁨%1⁩ — ⁨%2⁩
</translation>
    </message>
    <message>
        <source>fault played: %1
</source>
        <translation>العطل المُحاكى: ⁨%1⁩
</translation>
    </message>
    <message>
        <source>(%1 of %2 bytes kept)</source>
        <translation>(حُفظ ⁨%1⁩ من ⁨%2⁩ بايت)</translation>
    </message>
    <message>
        <source>Fai&amp;lures</source>
        <translation>الإخفاقات (&amp;L)</translation>
    </message>
    <message>
        <source>Slo&amp;w drip</source>
        <translation>تقطير بطيء (&amp;W)</translation>
    </message>
    <message>
        <source>What this inbox answers with, whatever the status: {&quot;ok&quot;: false}, an error your integration should handle, an empty body…</source>
        <translation>ما يجيب به هذا الصندوق أيًّا كانت الحالة: ⁦{&quot;ok&quot;: false}⁩، أو خطأ يجب أن يعالجه تكاملك، أو جسم فارغ…</translation>
    </message>
    <message>
        <source>Answer &amp;body</source>
        <translation>جسم الإجابة (&amp;B)</translation>
    </message>
    <message>
        <source>Content t&amp;ype</source>
        <translation>نوع المحتوى (&amp;Y)</translation>
    </message>
    <message>
        <source>Show inbo&amp;x:</source>
        <translation>عرض الصندوق (&amp;X):</translation>
    </message>
    <message>
        <source>All inboxes</source>
        <translation>كل الصناديق</translation>
    </message>
</context>
<context>
    <name>ReceiverServer</name>
    <message>
        <source>The inbox name “%1” is not valid: use 1 to 64 letters, digits, &apos;-&apos; or &apos;_&apos; (it becomes part of the URL).</source>
        <translation>اسم الصندوق «⁨%1⁩» غير صالح: استخدم من 1 إلى 64 حرفًا لاتينيًا أو رقمًا أو «-» أو «_» (يصبح جزءًا من عنوان URL).</translation>
    </message>
    <message>
        <source>The response status %1 is out of range; use 200 to 599.</source>
        <translation>رمز حالة الاستجابة ⁨%1⁩ خارج النطاق؛ استخدم 200 إلى 599.</translation>
    </message>
    <message>
        <source>The failure status %1 is out of range; use 200 to 599.</source>
        <translation>رمز حالة الإخفاق ⁨%1⁩ خارج النطاق؛ استخدم 200 إلى 599.</translation>
    </message>
    <message>
        <source>The failure rate %1 is out of range; use 0 (never) to 1 (always).</source>
        <translation>معدل الإخفاق ⁨%1⁩ خارج النطاق؛ استخدم من 0 (أبدًا) إلى 1 (دائمًا).</translation>
    </message>
    <message>
        <source>The delay %1 ms is out of range; use 0 to 600000 ms.</source>
        <translation>التأخير ⁨%1⁩ ملي ثانية خارج النطاق؛ استخدم 0 إلى 600000 ملي ثانية.</translation>
    </message>
    <message>
        <source>The drip interval %1 ms is out of range; use 0 to 60000 ms.</source>
        <translation>فاصل التقطير ⁨%1⁩ ملي ثانية خارج النطاق؛ استخدم 0 إلى 60000 ملي ثانية.</translation>
    </message>
    <message>
        <source>Retry-After must be 0 (none) or a number of seconds.</source>
        <translation>يجب أن تكون قيمة Retry-After صفرًا (بلا) أو عددًا من الثواني.</translation>
    </message>
    <message>
        <source>The inbox keeps 1 to 100000 requests; %1 is out of range.</source>
        <translation>يحتفظ الصندوق بـ 1 إلى 100000 طلب؛ و⁨%1⁩ خارج النطاق.</translation>
    </message>
    <message>
        <source>The scripted status %1 is out of range; use 200 to 599, or 0 to drop the connection.</source>
        <translation>رمز الحالة ⁨%1⁩ في البرنامج النصي خارج النطاق؛ استخدم 200 إلى 599، أو 0 لإسقاط الاتصال.</translation>
    </message>
    <message>
        <source>The response header “%1” is not a valid header line.</source>
        <translation>ترويسة الاستجابة «⁨%1⁩» ليست سطر ترويسة صالحًا.</translation>
    </message>
    <message>
        <source>The receiver cannot listen on 127.0.0.1:%1: %2. Choose another port, or 0 for a free one.</source>
        <translation>لا يستطيع المستقبِل الاستماع على ⁦127.0.0.1:%1⁩: ⁨%2⁩. اختر منفذًا آخر، أو 0 لمنفذ متاح.</translation>
    </message>
    <message>
        <source>Refused a connection: %1 are open, the limit is %2.</source>
        <translation>رُفض اتصال: ⁨%1⁩ اتصالات مفتوحة، والحد ⁨%2⁩.</translation>
    </message>
    <message>
        <source>No inbox at %1. Inboxes: %2 (POST to /inbox/&lt;name&gt;).
</source>
        <translation>لا يوجد صندوق عند ⁨%1⁩. الصناديق: ⁨%2⁩ (أرسل POST إلى /inbox/&lt;name&gt;).
</translation>
    </message>
    <message>
        <source>none</source>
        <translation>لا شيء</translation>
    </message>
    <message>
        <source>no such inbox</source>
        <translation>لا يوجد صندوق بهذا الاسم</translation>
    </message>
    <message>
        <source>script step %1: dropped the connection</source>
        <translation>الخطوة ⁨%1⁩ من البرنامج النصي: أُسقط الاتصال</translation>
    </message>
    <message>
        <source>script step %1</source>
        <translation>الخطوة ⁨%1⁩ من البرنامج النصي</translation>
    </message>
    <message>
        <source>dropped the connection without an answer</source>
        <translation>أُسقط الاتصال دون إجابة</translation>
    </message>
    <message>
        <source>simulated failure (rate %1)</source>
        <translation>إخفاق مُحاكى (المعدل ⁨%1⁩)</translation>
    </message>
    <message>
        <source>The content type “%1” is not a media type such as application/json or text/plain; charset=utf-8.</source>
        <translation>نوع المحتوى «⁨%1⁩» ليس نوع وسائط مثل ⁦application/json⁩ أو ⁦text/plain; charset=utf-8⁩.</translation>
    </message>
    <message>
        <source>The answer body is %1 bytes; an inbox answers at most %2.</source>
        <translation>جسم الإجابة ⁨%1⁩ بايت؛ ويجيب الصندوق بما لا يزيد على ⁨%2⁩.</translation>
    </message>
</context>
<context>
    <name>RetryPlanner</name>
    <message>
        <source>410 Gone: the receiver asked not to be called again.</source>
        <translation>410 Gone: طلب المستقبِل عدم الاتصال به مجددًا.</translation>
    </message>
    <message numerus="yes">
        <source>All %n attempt(s) used.</source>
        <translation>
            <numerusform>لم تُستخدم أي محاولة (⁨⁨%n⁩⁩).</numerusform>
            <numerusform>استُنفدت المحاولة الوحيدة.</numerusform>
            <numerusform>استُنفدت المحاولتان.</numerusform>
            <numerusform>استُنفدت المحاولات الـ ⁨⁨%n⁩⁩.</numerusform>
            <numerusform>استُنفدت المحاولات الـ ⁨⁨%n⁩⁩.</numerusform>
            <numerusform>استُنفدت المحاولات الـ ⁨⁨%n⁩⁩.</numerusform>
        </translation>
    </message>
    <message>
        <source>Retry-After: %1 s</source>
        <translation>Retry-After: ⁨%1⁩ ث</translation>
    </message>
    <message>
        <source>schedule step %1</source>
        <translation>الخطوة ⁨%1⁩ من الجدول</translation>
    </message>
</context>
<context>
    <name>SecretBox</name>
    <message>
        <source>Cannot read the key file %1 (%2). Check its permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>تعذّرت قراءة ملف المفتاح ⁨%1⁩ (⁨%2⁩). تحقّق من أذوناته، أو عيّن ⁦HOOKLINE_SECRET_KEY⁩.</translation>
    </message>
    <message>
        <source>The key file %1 does not hold a key (base64 of 32 bytes). Restore it from a backup; if it is lost, move it away and re-enter the endpoints&apos; secrets.</source>
        <translation>ملف المفتاح ⁨%1⁩ لا يحتوي على مفتاح (32 بايت بترميز ⁦base64⁩). استعده من نسخة احتياطية؛ وإن فُقد فانقله جانبًا وأدخل أسرار نقاط النهاية من جديد.</translation>
    </message>
    <message>
        <source>Cannot create the folder %1 for the key file. Check its permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>تعذّر إنشاء المجلد ⁨%1⁩ لملف المفتاح. تحقّق من أذوناته، أو عيّن ⁦HOOKLINE_SECRET_KEY⁩.</translation>
    </message>
    <message>
        <source>The system&apos;s random number generator failed; no key was created.</source>
        <translation>فشل مولّد الأرقام العشوائية في النظام؛ لم يُنشأ أي مفتاح.</translation>
    </message>
    <message>
        <source>Cannot create the key file %1. Check the folder&apos;s permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>تعذّر إنشاء ملف المفتاح ⁨%1⁩. تحقّق من أذونات المجلد، أو عيّن ⁦HOOKLINE_SECRET_KEY⁩.</translation>
    </message>
    <message>
        <source>Cannot write the key file %1. Check free space and the folder&apos;s permissions, or set HOOKLINE_SECRET_KEY.</source>
        <translation>تعذّرت كتابة ملف المفتاح ⁨%1⁩. تحقّق من المساحة الحرة وأذونات المجلد، أو عيّن ⁦HOOKLINE_SECRET_KEY⁩.</translation>
    </message>
    <message>
        <source>HOOKLINE_SECRET_KEY must be base64 of 32 bytes (for example the output of &apos;openssl rand -base64 32&apos;).</source>
        <translation>يجب أن يكون ⁦HOOKLINE_SECRET_KEY⁩ 32 بايت بترميز ⁦base64⁩ (مثل ناتج ⁦openssl rand -base64 32⁩).</translation>
    </message>
    <message>
        <source>The secret key must be 32 bytes.</source>
        <translation>يجب أن يكون المفتاح السري 32 بايت.</translation>
    </message>
    <message>
        <source>It was sealed with another key (%1; this machine&apos;s is %2). Restore the key file %3 (or HOOKLINE_SECRET_KEY) it was sealed with, or enter the secret again.</source>
        <translation>خُتم بمفتاح آخر (⁨%1⁩؛ ومفتاح هذا الجهاز ⁨%2⁩). استعد ملف المفتاح ⁨%3⁩ (أو ⁦HOOKLINE_SECRET_KEY⁩) الذي خُتم به، أو أدخل السر من جديد.</translation>
    </message>
    <message>
        <source>none</source>
        <translation>لا شيء</translation>
    </message>
    <message>
        <source>The sealed value is damaged. Enter the secret again.</source>
        <translation>القيمة المختومة تالفة. أدخل السر من جديد.</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Data</source>
        <translation>البيانات</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>قاعدة البيانات</translation>
    </message>
    <message>
        <source>forever</source>
        <translation>للأبد</translation>
    </message>
    <message>
        <source> days</source>
        <translation> يومًا</translation>
    </message>
    <message>
        <source>Keep &amp;history for</source>
        <translation>الاحتفاظ بالسجل لمدة (&amp;H)</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>بلا حد</translation>
    </message>
    <message>
        <source> deliveries at most</source>
        <translation> عملية تسليم كحد أقصى</translation>
    </message>
    <message>
        <source>and</source>
        <translation>و</translation>
    </message>
    <message>
        <source>Apply retention &amp;now</source>
        <translation>تطبيق سياسة الاحتفاظ الآن (&amp;N)</translation>
    </message>
    <message>
        <source>Delete finished deliveries beyond these limits (pending and retrying work is kept)</source>
        <translation>حذف عمليات التسليم المنتهية التي تتجاوز هذه الحدود (يُحتفظ بالعمل المنتظر وما يُعاد محاولته)</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>التسليم</translation>
    </message>
    <message>
        <source>Requests in flight in &amp;total</source>
        <translation>إجمالي الطلبات المتزامنة (&amp;T)</translation>
    </message>
    <message>
        <source>Seconds before each retry, for endpoints created from now on</source>
        <translation>الثواني قبل كل إعادة محاولة، لنقاط النهاية التي تُنشأ من الآن فصاعدًا</translation>
    </message>
    <message>
        <source>Default retry &amp;delays (s)</source>
        <translation>فترات إعادة المحاولة الافتراضية (ث) (&amp;D)</translation>
    </message>
    <message>
        <source>Interface</source>
        <translation>الواجهة</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>لغة النظام</translation>
    </message>
    <message>
        <source>&amp;Language (after a restart)</source>
        <translation>اللغة (بعد إعادة التشغيل) (&amp;L)</translation>
    </message>
    <message>
        <source>Old deliveries removed: %1</source>
        <translation>عمليات التسليم القديمة المحذوفة: ⁨%1⁩</translation>
    </message>
    <message>
        <source>Write the delays as seconds separated by commas, e.g. 5, 300, 1800.</source>
        <translation>اكتب الفترات بالثواني مفصولة بفواصل، مثل 5, 300, 1800.</translation>
    </message>
    <message>
        <source>Change the language</source>
        <translation>تغيير اللغة</translation>
    </message>
    <message>
        <source>Hookline changes its language when it starts. Restart it now? Deliveries in progress are finished first or resumed.</source>
        <translation>يغيّر Hookline لغته عند بدء التشغيل. هل تريد إعادة تشغيله الآن؟ تكتمل عمليات التسليم الجارية أولًا أو تُستأنف لاحقًا.</translation>
    </message>
    <message>
        <source>&amp;Restart now</source>
        <translation>إعادة التشغيل الآن (&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Later</source>
        <translation>لاحقًا (&amp;L)</translation>
    </message>
    <message>
        <source>API</source>
        <translation>الواجهة البرمجية</translation>
    </message>
    <message>
        <source>&amp;Serve the API to scripts and other systems</source>
        <translation>تقديم الواجهة البرمجية للسكربتات والأنظمة الأخرى (&amp;S)</translation>
    </message>
    <message>
        <source>A loopback address and port, such as 127.0.0.1:8470. To serve other machines, use &apos;hookline serve&apos; with TLS.</source>
        <translation>عنوان استرجاع ومنفذ، مثل ⁦127.0.0.1:8470⁩. لخدمة أجهزة أخرى استخدم ⁦hookline serve⁩ مع TLS.</translation>
    </message>
    <message>
        <source>&amp;Address</source>
        <translation>العنوان (&amp;A)</translation>
    </message>
    <message>
        <source>API tokens</source>
        <translation>رموز الواجهة البرمجية</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <source>Access</source>
        <translation>الصلاحية</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>أُنشئ</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>آخر استخدام</translation>
    </message>
    <message>
        <source>&amp;Tokens</source>
        <translation>الرموز (&amp;T)</translation>
    </message>
    <message>
        <source>&amp;New token…</source>
        <translation>رمز جديد… (&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Read-only</source>
        <translation>للقراءة فقط (&amp;R)</translation>
    </message>
    <message>
        <source>A read-only token may read, not change or publish</source>
        <translation>الرمز المخصّص للقراءة فقط يقرأ ولا يغيّر ولا ينشر</translation>
    </message>
    <message>
        <source>Re&amp;voke</source>
        <translation>إبطال (&amp;V)</translation>
    </message>
    <message>
        <source>The API address “%1” is not a loopback address and port such as 127.0.0.1:8470.</source>
        <translation>عنوان الواجهة البرمجية «⁨%1⁩» ليس عنوان استرجاع ومنفذًا مثل ⁦127.0.0.1:8470⁩.</translation>
    </message>
    <message>
        <source>API on %1</source>
        <translation>الواجهة البرمجية على ⁦%1⁩</translation>
    </message>
    <message>
        <source>API off</source>
        <translation>الواجهة البرمجية متوقفة</translation>
    </message>
    <message>
        <source>Listening on %1 — requests need a token from below.</source>
        <translation>يستمع على ⁦%1⁩ — تحتاج الطلبات إلى رمز من القائمة أدناه.</translation>
    </message>
    <message>
        <source>Off.</source>
        <translation>متوقفة.</translation>
    </message>
    <message>
        <source>read-only</source>
        <translation>للقراءة فقط</translation>
    </message>
    <message>
        <source>read-write</source>
        <translation>قراءة وكتابة</translation>
    </message>
    <message>
        <source>never</source>
        <translation>أبدًا</translation>
    </message>
    <message>
        <source>Created token “%1”.</source>
        <translation>أُنشئ الرمز «⁨%1⁩».</translation>
    </message>
    <message>
        <source>New API token</source>
        <translation>رمز واجهة برمجية جديد</translation>
    </message>
    <message>
        <source>Who or what will use it (for example “CRM deploy”):</source>
        <translation>من أو ما الذي سيستخدمه (مثلًا «نشر CRM»):</translation>
    </message>
    <message>
        <source>Copy this token now; Hookline keeps only a hash of it and cannot show it again.

%1

Send it as: Authorization: Bearer &lt;token&gt;</source>
        <translation>انسخ هذا الرمز الآن؛ لا يحتفظ Hookline إلا ببصمته ولا يمكنه عرضه مرة أخرى.

⁦%1⁩

أرسله هكذا: ⁦Authorization: Bearer &lt;token&gt;⁩</translation>
    </message>
    <message>
        <source>Revoke token</source>
        <translation>إبطال الرمز</translation>
    </message>
    <message>
        <source>Revoke “%1”? Requests with it will be refused at once.</source>
        <translation>إبطال «⁨%1⁩»؟ ستُرفض الطلبات التي تستخدمه فورًا.</translation>
    </message>
    <message>
        <source>Security (for every process on this database)</source>
        <translation>الأمان (لكل عملية تستخدم قاعدة البيانات هذه)</translation>
    </message>
    <message>
        <source>Any address</source>
        <translation>أي عنوان</translation>
    </message>
    <message>
        <source>Not link-local or cloud metadata (recommended)</source>
        <translation>ليس محلي الرابط ولا بيانات وصفية سحابية (مستحسن)</translation>
    </message>
    <message>
        <source>Public addresses only</source>
        <translation>العناوين العامة فقط</translation>
    </message>
    <message>
        <source>Which addresses deliveries may connect to. Checked on the address each attempt connects to, so a host name cannot be turned into a private address later.</source>
        <translation>العناوين التي يمكن أن تتصل بها التسليمات. يُتحقَّق من العنوان الذي تتصل به كل محاولة، فلا يمكن تحويل اسم مضيف إلى عنوان خاص لاحقًا.</translation>
    </message>
    <message>
        <source>Deliveries may &amp;reach</source>
        <translation>يمكن أن تصل التسليمات إلى (&amp;R)</translation>
    </message>
    <message>
        <source>But always &amp;allow</source>
        <translation>مع السماح دائمًا بـ (&amp;A)</translation>
    </message>
    <message>
        <source> KiB</source>
        <translation> كيلوبايت</translation>
    </message>
    <message>
        <source>Largest &amp;payload</source>
        <translation>أكبر حمولة (&amp;P)</translation>
    </message>
    <message>
        <source>Signing secrets and custom header values are stored encrypted with this key. Back it up with the database; without it they must be entered again.</source>
        <translation>تُخزَّن أسرار التوقيع وقيم الترويسات المخصّصة مشفّرة بهذا المفتاح. احفظ نسخة منه مع قاعدة البيانات؛ فبدونه يجب إدخالها من جديد.</translation>
    </message>
    <message>
        <source>Secrets are sealed with</source>
        <translation>الأسرار مختومة بـ</translation>
    </message>
    <message>
        <source>“%1” is neither a host name nor an address or range such as 10.0.0.0/8. Correct it; the policy was not changed.</source>
        <translation>«⁨%1⁩» ليس اسم مضيف ولا عنوانًا أو نطاقًا مثل ⁦10.0.0.0/8⁩. صحّحه؛ لم تُغيَّر السياسة.</translation>
    </message>
    <message>
        <source>The policy could not be saved: %1</source>
        <translation>تعذّر حفظ السياسة: ⁨%1⁩</translation>
    </message>
    <message>
        <source>The payload limit could not be saved: %1</source>
        <translation>تعذّر حفظ حد الحمولة: ⁨%1⁩</translation>
    </message>
    <message>
        <source>e.g. crm.internal 10.0.0.0/8</source>
        <translation>مثل ⁦crm.internal 10.0.0.0/8⁩</translation>
    </message>
    <message>
        <source>Deliveries under way at once over all endpoints, in each Hookline process that delivers. Each endpoint has its own limit too.</source>
        <translation>عمليات التسليم الجارية في آن واحد عبر كل نقاط النهاية، في كل عملية من Hookline تُسلِّم. ولكل نقطة نهاية حدها الخاص أيضًا.</translation>
    </message>
    <message>
        <source> %</source>
        <translation>٪</translation>
    </message>
    <message>
        <source>A desktop notification when this share of an endpoint&apos;s attempts failed over the last 5 minutes (at least 10 attempts). Disabled endpoints are always reported.</source>
        <translation>إشعار على سطح المكتب عندما تفشل هذه النسبة من محاولات نقطة نهاية خلال آخر 5 دقائق (10 محاولات على الأقل). ويُبلَّغ دائمًا عن نقاط النهاية المعطّلة.</translation>
    </message>
    <message>
        <source>Notify &amp;when failures reach</source>
        <translation>نبّهني عندما تبلغ الإخفاقات (&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Change…</source>
        <translation>تغيير…(&amp;C)</translation>
    </message>
    <message>
        <source>Use another store: a SQLite file, or a PostgreSQL database shared with other Hookline windows and workers</source>
        <translation>استخدام مخزن آخر: ملف SQLite، أو قاعدة بيانات PostgreSQL مشتركة مع نوافذ Hookline وعمّال التسليم الآخرين</translation>
    </message>
    <message>
        <source>Change the database</source>
        <translation>تغيير قاعدة البيانات</translation>
    </message>
    <message>
        <source>A SQLite file (sqlite:/path/to/hookline.sqlite) or a PostgreSQL database (postgresql://user:password@host:5432/dbname). Empty: the file in your data directory.</source>
        <translation>ملف SQLite ‏(⁦sqlite:/path/to/hookline.sqlite⁩) أو قاعدة بيانات PostgreSQL ‏(⁦postgresql://user:password@host:5432/dbname⁩). فارغ: الملف الموجود في مجلد بياناتك.</translation>
    </message>
    <message>
        <source>Hookline opens the new database when it starts. Restart it now? Deliveries in progress are finished first or resumed.</source>
        <translation>يفتح Hookline قاعدة البيانات الجديدة عند بدء تشغيله. هل تريد إعادة تشغيله الآن؟ تُستكمل عمليات التسليم الجارية أولًا أو تُستأنف لاحقًا.</translation>
    </message>
</context>
<context>
    <name>StatusStyle</name>
    <message>
        <source>pending</source>
        <translation>منتظرة</translation>
    </message>
    <message>
        <source>in flight</source>
        <translation>قيد الإرسال</translation>
    </message>
    <message>
        <source>succeeded</source>
        <translation>نجحت</translation>
    </message>
    <message>
        <source>retrying</source>
        <translation>سيُعاد</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>فشلت</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>أُلغيت</translation>
    </message>
    <message>
        <source>dns</source>
        <comment>error class: host not found</comment>
        <translation>dns</translation>
    </message>
    <message>
        <source>refused</source>
        <comment>error class: connection refused</comment>
        <translation>رُفض</translation>
    </message>
    <message>
        <source>timeout</source>
        <comment>error class</comment>
        <translation>انتهت المهلة</translation>
    </message>
    <message>
        <source>tls</source>
        <comment>error class: TLS handshake</comment>
        <translation>tls</translation>
    </message>
    <message>
        <source>http-3xx</source>
        <comment>error class</comment>
        <translation>http-3xx</translation>
    </message>
    <message>
        <source>http-4xx</source>
        <comment>error class</comment>
        <translation>http-4xx</translation>
    </message>
    <message>
        <source>http-5xx</source>
        <comment>error class</comment>
        <translation>http-5xx</translation>
    </message>
    <message>
        <source>aborted</source>
        <comment>error class</comment>
        <translation>أُلغي</translation>
    </message>
    <message>
        <source>network</source>
        <comment>error class</comment>
        <translation>الشبكة</translation>
    </message>
    <message>
        <source>scheduled</source>
        <comment>attempt trigger</comment>
        <translation>مجدولة</translation>
    </message>
    <message>
        <source>manual</source>
        <comment>attempt trigger</comment>
        <translation>يدوية</translation>
    </message>
    <message>
        <source>test</source>
        <comment>attempt trigger</comment>
        <translation>اختبار</translation>
    </message>
    <message>
        <source>valid</source>
        <comment>signature verdict</comment>
        <translation>صالح</translation>
    </message>
    <message>
        <source>invalid</source>
        <comment>signature verdict</comment>
        <translation>غير صالح</translation>
    </message>
    <message>
        <source>missing</source>
        <comment>signature verdict</comment>
        <translation>مفقود</translation>
    </message>
    <message>
        <source>stale timestamp</source>
        <comment>signature verdict</comment>
        <translation>طابع زمني قديم</translation>
    </message>
    <message>
        <source>malformed</source>
        <comment>signature verdict</comment>
        <translation>مشوّه</translation>
    </message>
    <message>
        <source>not checked</source>
        <comment>signature verdict</comment>
        <translation>لم يُتحقق منه</translation>
    </message>
    <message>
        <source>blocked</source>
        <comment>error class: refused by the egress policy</comment>
        <translation>محظور</translation>
    </message>
</context>
<context>
    <name>Store</name>
    <message>
        <source>Cannot create the data directory %1. Check its permissions or choose another one with --data-dir.</source>
        <translation>يتعذّر إنشاء دليل البيانات ⁨%1⁩. تحقق من صلاحياته أو اختر دليلًا آخر بالخيار --data-dir.</translation>
    </message>
    <message>
        <source>The Qt SQLite driver is missing. Install the package libqt6sql6-sqlite.</source>
        <translation>برنامج تشغيل SQLite الخاص بـ Qt مفقود. ثبّت الحزمة libqt6sql6-sqlite.</translation>
    </message>
    <message>
        <source>Cannot open the database %1: %2</source>
        <translation>يتعذّر فتح قاعدة البيانات ⁨%1⁩: ⁨%2⁩</translation>
    </message>
    <message>
        <source>%1 was written by a newer Hookline (schema %2; this version knows up to %3). It was left untouched: upgrade Hookline, or use another --data-dir.</source>
        <translation>كُتبت ⁨%1⁩ بإصدار أحدث من Hookline (المخطط ⁨%2⁩؛ وهذا الإصدار يعرف حتى ⁨%3⁩). تُركت دون تغيير: حدّث Hookline، أو استخدم --data-dir آخر.</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema %2 failed: %3</source>
        <translation>فشلت ترقية ⁨%1⁩ إلى المخطط ⁨%2⁩: ⁨%3⁩</translation>
    </message>
    <message>
        <source>There is no endpoint %1. &apos;hookline endpoints list&apos; shows them.</source>
        <translation>لا توجد نقطة نهاية ⁨%1⁩. الأمر &apos;hookline endpoints list&apos; يعرضها.</translation>
    </message>
    <message>
        <source>%1 matches %2 endpoints; type more of the id.</source>
        <translation>يطابق ⁨%1⁩ عدد ⁨%2⁩ من نقاط النهاية؛ اكتب المزيد من المعرّف.</translation>
    </message>
    <message>
        <source>Saving the endpoint failed: %1</source>
        <translation>فشل حفظ نقطة النهاية: ⁨%1⁩</translation>
    </message>
    <message>
        <source>There is no event type %1.</source>
        <translation>لا يوجد نوع حدث ⁨%1⁩.</translation>
    </message>
    <message>
        <source>There is no delivery %1. &apos;hookline history&apos; lists them.</source>
        <translation>لا توجد عملية تسليم ⁨%1⁩. الأمر &apos;hookline history&apos; يسردها.</translation>
    </message>
    <message>
        <source>%1 matches several deliveries; type more of the id.</source>
        <translation>يطابق ⁨%1⁩ عدة عمليات تسليم؛ اكتب المزيد من المعرّف.</translation>
    </message>
    <message>
        <source>Qt&apos;s SQLite driver did not hand over its connection to %1. Reinstall Qt&apos;s SQLite plugin (Debian: libqt6sql6-sqlite).</source>
        <translation>لم يسلّم مشغّل SQLite في Qt اتصاله بالملف ⁨%1⁩. أعد تثبيت وحدة SQLite الخاصة بـ Qt (في Debian: ⁦libqt6sql6-sqlite⁩).</translation>
    </message>
    <message>
        <source>There is no delivery %1.</source>
        <translation>لا توجد عملية تسليم ⁨%1⁩.</translation>
    </message>
    <message>
        <source>Delivery %1 is being sent by another Hookline process (%2) right now. Try again after %3, or look at its history.</source>
        <translation>تُرسِل عملية Hookline أخرى (⁨%2⁩) التسليم ⁨%1⁩ الآن. أعد المحاولة بعد ⁨%3⁩، أو اطّلع على سجله.</translation>
    </message>
    <message>
        <source>The event of delivery %1 is no longer stored (retention removed it), so it cannot be sent again.</source>
        <translation>لم يعد حدث عملية التسليم ⁨%1⁩ محفوظًا (حذفته سياسة الاحتفاظ)، لذا لا يمكن إرساله مجددًا.</translation>
    </message>
    <message>
        <source>The database %1 is read-only. %2</source>
        <translation>قاعدة البيانات ⁨%1⁩ للقراءة فقط. ⁨%2⁩</translation>
    </message>
    <message>
        <source>Cannot use the database %1: %2. %3</source>
        <translation>يتعذّر استخدام قاعدة البيانات ⁨%1⁩: ⁨%2⁩. ⁨%3⁩</translation>
    </message>
    <message>
        <source>The disk is full: free some space.</source>
        <translation>القرص ممتلئ: حرّر بعض المساحة.</translation>
    </message>
    <message>
        <source>The file, its folder or its file system is read-only: fix the permissions or the mount, or choose another --data-dir.</source>
        <translation>الملف أو مجلده أو نظام ملفاته للقراءة فقط: أصلح الأذونات أو التركيب، أو اختر ⁦--data-dir⁩ آخر.</translation>
    </message>
    <message>
        <source>Another program holds the database locked: close it, or wait for it, and try again.</source>
        <translation>برنامج آخر يقفل قاعدة البيانات: أغلقه أو انتظره، ثم أعد المحاولة.</translation>
    </message>
    <message>
        <source>The disk reported an I/O error: check the disk and its free space.</source>
        <translation>أبلغ القرص عن خطأ في الإدخال/الإخراج: افحص القرص ومساحته الحرة.</translation>
    </message>
    <message>
        <source>The file is not a Hookline database, or is damaged: choose another --data-dir, or restore it from a backup.</source>
        <translation>الملف ليس قاعدة بيانات Hookline أو أنه تالف: اختر ⁦--data-dir⁩ آخر، أو استعده من نسخة احتياطية.</translation>
    </message>
    <message>
        <source>Check free disk space and the data directory&apos;s permissions.</source>
        <translation>تحقّق من المساحة الحرة على القرص ومن أذونات مجلد البيانات.</translation>
    </message>
    <message>
        <source>Cannot read the database %1: %2. %3</source>
        <translation>تتعذّر قراءة قاعدة البيانات ⁨%1⁩: ⁨%2⁩. ⁨%3⁩</translation>
    </message>
    <message>
        <source>Cannot write to %1: %2. %3</source>
        <translation>تتعذّر الكتابة في ⁨%1⁩: ⁨%2⁩. ⁨%3⁩</translation>
    </message>
    <message>
        <source>Delivery %1 is already %2.</source>
        <translation>التسليم ⁨%1⁩ في الحالة ⁨%2⁩ بالفعل.</translation>
    </message>
    <message>
        <source>There is no API token %1. &apos;hookline tokens list&apos; shows them.</source>
        <translation>لا يوجد رمز واجهة برمجية ⁨%1⁩. يعرضها الأمر ⁦hookline tokens list⁩.</translation>
    </message>
    <message>
        <source>%1 matches %2 API tokens; type more of the id.</source>
        <translation>يطابق ⁨%1⁩ عدد ⁨%2⁩ من رموز الواجهة البرمجية؛ اكتب مزيدًا من المعرّف.</translation>
    </message>
    <message>
        <source>The custom header values of %1 cannot be read: %2</source>
        <translation>تتعذّر قراءة قيم الترويسات المخصّصة لـ ⁨%1⁩: ⁨%2⁩</translation>
    </message>
    <message>
        <source>The signing secret of %1 cannot be read: %2</source>
        <translation>تتعذّر قراءة سر التوقيع لـ ⁨%1⁩: ⁨%2⁩</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema 4 failed: %2</source>
        <translation>فشلت ترقية ⁨%1⁩ إلى المخطط 4: ⁨%2⁩</translation>
    </message>
    <message>
        <source>The endpoint&apos;s secrets could not be encrypted (the system&apos;s random number generator failed); nothing was saved. Try again.</source>
        <translation>تعذّر تشفير أسرار نقطة النهاية (فشل مولّد الأرقام العشوائية في النظام)؛ لم يُحفظ شيء. حاول مجددًا.</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema 8 failed: %2</source>
        <translation>فشلت ترقية ⁨%1⁩ إلى المخطط 8: ⁨%2⁩</translation>
    </message>
    <message>
        <source>%1 names %2 endpoints; give the id instead.</source>
        <translation>الاسم ⁨%1⁩ يطابق ⁨%2⁩ من نقاط النهاية؛ استخدم المعرّف بدلًا منه.</translation>
    </message>
    <message>
        <source>Upgrading %1 to schema 12 failed: %2</source>
        <translation>فشلت ترقية ⁨%1⁩ إلى المخطط 12: ⁨%2⁩</translation>
    </message>
    <message>
        <source>%1 was changed by someone else at %2 - reload it to see their change, then make yours again.</source>
        <translation>غيّر شخص آخر ⁨%1⁩ في ⁨%2⁩ - أعد تحميله لترى تغييره، ثم أجرِ تغييرك من جديد.</translation>
    </message>
    <message>
        <source>Check that the PostgreSQL server is running and can be reached from here; Hookline connects again by itself.</source>
        <translation>تحقّق من أن خادم PostgreSQL يعمل ويمكن الوصول إليه من هنا؛ يعيد Hookline الاتصال من تلقاء نفسه.</translation>
    </message>
    <message>
        <source>The endpoint secrets in %1 are sealed with the key %2, and this process has the key %3. Give every Hookline process on this database the same key: set HOOKLINE_SECRET_KEY (or copy the key file) from a machine that uses it.</source>
        <translation>أسرار نقاط النهاية في ⁨%1⁩ مختومة بالمفتاح ⁨%2⁩، ولدى هذه العملية المفتاح ⁨%3⁩. أعطِ كل عمليات Hookline على قاعدة البيانات هذه المفتاح نفسه: اضبط ⁦HOOKLINE_SECRET_KEY⁩ (أو انسخ ملف المفتاح) من جهاز يستخدمه.</translation>
    </message>
</context>
<context>
    <name>StoreCopy</name>
    <message>
        <source>%1 is both the store to copy from and the one to copy to.</source>
        <translation>⁨%1⁩ هو مخزن المصدر ومخزن الهدف معًا في هذا النسخ.</translation>
    </message>
    <message numerus="yes">
        <source>%n delivery(s) in %1 are being sent by a running Hookline (a window, &apos;hookline run&apos; or &apos;hookline serve&apos;). Stop the processes that use %1, then copy: otherwise both stores would send them.</source>
        <translation>
            <numerusform>لا توجد عمليات تسليم في ⁨%1⁩ يرسلها Hookline قيد التشغيل.</numerusform>
            <numerusform>عملية تسليم واحدة في ⁨%1⁩ يرسلها الآن Hookline قيد التشغيل (نافذة أو ‎'hookline run'‎ أو ‎'hookline serve'‎). أوقف العمليات التي تستخدم ⁨%1⁩ ثم انسخ، وإلا فسيرسلها المخزنان كلاهما.</numerusform>
            <numerusform>عمليتا تسليم في ⁨%1⁩ يرسلهما الآن Hookline قيد التشغيل (نافذة أو ‎'hookline run'‎ أو ‎'hookline serve'‎). أوقف العمليات التي تستخدم ⁨%1⁩ ثم انسخ، وإلا فسيرسلهما المخزنان كلاهما.</numerusform>
            <numerusform>⁨%n⁩ عمليات تسليم في ⁨%1⁩ يرسلها الآن Hookline قيد التشغيل (نافذة أو ‎'hookline run'‎ أو ‎'hookline serve'‎). أوقف العمليات التي تستخدم ⁨%1⁩ ثم انسخ، وإلا فسيرسلها المخزنان كلاهما.</numerusform>
            <numerusform>⁨%n⁩ عملية تسليم في ⁨%1⁩ يرسلها الآن Hookline قيد التشغيل (نافذة أو ‎'hookline run'‎ أو ‎'hookline serve'‎). أوقف العمليات التي تستخدم ⁨%1⁩ ثم انسخ، وإلا فسيرسلها المخزنان كلاهما.</numerusform>
            <numerusform>⁨%n⁩ عملية تسليم في ⁨%1⁩ يرسلها الآن Hookline قيد التشغيل (نافذة أو ‎'hookline run'‎ أو ‎'hookline serve'‎). أوقف العمليات التي تستخدم ⁨%1⁩ ثم انسخ، وإلا فسيرسلها المخزنان كلاهما.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is not empty (it holds endpoints, events or deliveries). Copy into an empty database, or add --merge to add only what it lacks (that is also how an interrupted copy is finished).</source>
        <translation>⁨%1⁩ ليس فارغًا (فيه نقاط نهاية أو أحداث أو عمليات تسليم). انسخ إلى قاعدة بيانات فارغة، أو أضف ‎--merge‎ لإضافة ما ينقصه فقط (وبهذا أيضًا تُكمَل عملية نسخ انقطعت).</translation>
    </message>
    <message>
        <source>Event type %1: %2</source>
        <translation>نوع الحدث ⁨%1⁩: ⁨%2⁩</translation>
    </message>
    <message>
        <source>Endpoint %1 (%2): %3</source>
        <translation>نقطة النهاية ⁨%1⁩ (⁨%2⁩): ⁨%3⁩</translation>
    </message>
</context>
<context>
    <name>TemplateRenderer</name>
    <message>
        <source>The placeholder that opens at line %1, column %2 is not closed. Write it as {{name}} on one line.</source>
        <translation>العنصر النائب الذي يبدأ في السطر ⁨%1⁩، العمود ⁨%2⁩ غير مغلق. اكتبه بالشكل {{name}} على سطر واحد.</translation>
    </message>
    <message>
        <source>Unknown placeholder {{%1}} at line %2, column %3. Known placeholders: %4.</source>
        <translation>عنصر نائب غير معروف {{⁨%1⁩}} في السطر ⁨%2⁩، العمود ⁨%3⁩. العناصر المعروفة: ⁨%4⁩.</translation>
    </message>
    <message>
        <source>The template is not valid JSON: %1 at line %2, column %3.</source>
        <translation>القالب ليس JSON صالحًا: ⁨%1⁩ في السطر ⁨%2⁩، العمود ⁨%3⁩.</translation>
    </message>
    <message>
        <source>The template must be a JSON object: start it with { and end it with }.</source>
        <translation>يجب أن يكون القالب كائن JSON: ابدأه بـ { واختمه بـ }.</translation>
    </message>
    <message>
        <source>The template has a raw control character (U+%1) inside a string at line %2, column %3. Write it as \u%1 or remove it.</source>
        <translation>يحتوي القالب على محرف تحكّم خام (⁦U+⁨%1⁩⁩) داخل سلسلة في السطر ⁨%2⁩، العمود ⁨%3⁩. اكتبه ⁦\u⁨%1⁩⁩ أو احذفه.</translation>
    </message>
</context>
<context>
    <name>WebhookSigner</name>
    <message>
        <source>The request carries no webhook-id, webhook-timestamp or webhook-signature header.</source>
        <translation>لا يحمل الطلب أي ترويسة webhook-id أو webhook-timestamp أو webhook-signature.</translation>
    </message>
    <message>
        <source>The request lacks the header(s) %1.</source>
        <translation>تنقص الطلبَ الترويسةُ أو الترويسات ⁨%1⁩.</translation>
    </message>
    <message>
        <source>webhook-timestamp “%1” is not a number of seconds.</source>
        <translation>قيمة webhook-timestamp «⁨%1⁩» ليست عددًا من الثواني.</translation>
    </message>
    <message>
        <source>webhook-timestamp is %1 s away from this machine&apos;s clock; at most %2 s is accepted. Check both clocks, or a replayed request.</source>
        <translation>يبتعد webhook-timestamp مسافة ⁨%1⁩ ث عن ساعة هذا الجهاز؛ والمقبول ⁨%2⁩ ث على الأكثر. تحقق من الساعتين، أو من طلب مُعاد.</translation>
    </message>
    <message>
        <source>The request is signed but no secret is configured to check it.</source>
        <translation>الطلب موقّع لكن لا يوجد سرّ مضبوط للتحقق منه.</translation>
    </message>
    <message>
        <source>Signature matches.</source>
        <translation>التوقيع مطابق.</translation>
    </message>
    <message>
        <source>No v1 signature matches the configured secret: the secret differs, or the body was changed on the way.</source>
        <translation>لا يطابق أي توقيع v1 السرّ المضبوط: السرّ مختلف، أو تغيّر المتن في الطريق.</translation>
    </message>
    <message>
        <source>webhook-signature has no “v1,” entry.</source>
        <translation>لا يحتوي webhook-signature على مُدخل «v1,».</translation>
    </message>
</context>
</TS>
