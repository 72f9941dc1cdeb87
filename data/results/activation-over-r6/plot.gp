# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 1000,560 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 1000,560; set output 'plot.png'
} else {
    set terminal svg size 1000,560; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set xrange [831.76377110267094:120226.44346174129]
set yrange [0.02978285220157165:2.004747314311556]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "activation, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('1000' 1000, '2000' 2000, '5000' 5000, '10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000)
set ytics ('0.05' 0.050000000000000003, '0.1' 0.10000000000000001, '0.2' 0.20000000000000001, '0.5' 0.5, '1' 1, '2' 2)
bottom = 0.02978285220157165
lo(v) = v > bottom ? v : bottom
theory(x) = 31.051745760309274 * sqrt(log(x) / x)
mean_fit(x) = exp(1.8846017929880847) * x**-0.2117453862730159
median_fit(x) = exp(2.9806904945165442) * x**-0.33053929348116612
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 6 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.2117453862730159, -0.32567406219210693, -0.097816710353924877), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.33053929348116612, -0.5313698973791563, -0.12970868958317594), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "c (log N / N)^{1/2}, no proven rate"
